# A fleet of test hosts on this machine: each host is a Linux network namespace on a private bridge
# that is connected to nothing else (addresses from 198.18.0.0/15, the benchmarking range), with
# its own sshd (Debian's openssh-server) started in its own mount namespace where /srv is a
# directory of its own. So each host has its own /srv/murder (module), /srv/tmp, /srv/state and
# /srv/releases, and one host's files cannot be mistaken for another's. Everything is created here
# and removed by Remove-TestFleet, also after a failure.

function Get-TestFleetSkipReason {
    if (-not $IsLinux) { return 'the fleet tests need Linux network and mount namespaces' }
    if ((& id -u) -ne '0') { return 'the fleet tests need root (they create network namespaces, a bridge and bind mounts)' }
    foreach ($tool in 'ip', 'unshare', 'ssh-keygen', 'ssh', '/usr/sbin/sshd') {
        if (-not (Get-Command $tool -ErrorAction Ignore)) { return "the fleet tests need '$tool' (Debian packages iproute2, util-linux, openssh-client, openssh-server)" }
    }
    if (-not (Test-Path -LiteralPath /srv -PathType Container)) { return 'the fleet tests bind-mount over /srv, which does not exist here' }
    $probe = 'murder-probe-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
    $null = & ip netns add $probe 2>&1
    if ($LASTEXITCODE -ne 0) { return 'network namespaces are not supported here (ip netns add failed)' }
    $null = & ip netns exec $probe unshare --mount --propagation private true 2>&1
    $mountOk = $LASTEXITCODE -eq 0
    $null = & ip netns del $probe 2>&1
    if (-not $mountOk) { return 'mount namespaces are not supported here (unshare --mount failed)' }
    $null
}

function Invoke-Checked {
    param([string] $FilePath, [string[]] $Arguments)
    $output = & $FilePath @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($Arguments -join ' ') failed ($LASTEXITCODE): $output" }
    $output
}

function New-TestFleet {
    param([Parameter(Mandatory)] [string] $WorkPath, [int] $Count = 5)
    $id = [guid]::NewGuid().ToString('N').Substring(0, 5)
    # A /24 of 198.18.0.0/15 picked at random, so parallel runs do not collide.
    $subnet = "198.18.$(Get-Random -Minimum 1 -Maximum 255)"
    $fleet = [pscustomobject]@{
        Id = $id; WorkPath = $WorkPath; Bridge = "mzb$id"; Subnet = $subnet; Hosts = [System.Collections.Generic.List[object]]::new()
        ClientKey = Join-Path $WorkPath 'client_ed25519'; OtherKey = Join-Path $WorkPath 'other_ed25519'
        KnownHosts = Join-Path $WorkPath 'known_hosts'; PwshWrapper = Join-Path $WorkPath 'pwsh.sh'
        CreatedRunSshd = $false; Unreachable = "$subnet.250"
    }
    try {
        if (-not (Test-Path -LiteralPath /run/sshd)) { $null = New-Item -ItemType Directory -Path /run/sshd; $fleet.CreatedRunSshd = $true }
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'murder-test-client', '-f', $fleet.ClientKey) | Out-Null
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'murder-test-other', '-f', $fleet.OtherKey) | Out-Null
        # The remote pwsh: this same PowerShell (the local dotnet tool) started through dotnet.
        $dotnet = (Get-Command dotnet).Source
        Set-Content -LiteralPath $fleet.PwshWrapper -Value "#!/bin/sh`nexec '$dotnet' '$(Join-Path $PSHOME 'pwsh.dll')' `"`$@`"`n"
        & chmod 755 $fleet.PwshWrapper

        Invoke-Checked ip @('link', 'add', $fleet.Bridge, 'type', 'bridge') | Out-Null
        Invoke-Checked ip @('addr', 'add', "$subnet.1/24", 'dev', $fleet.Bridge) | Out-Null
        Invoke-Checked ip @('link', 'set', $fleet.Bridge, 'up') | Out-Null
        $known = [System.Collections.Generic.List[string]]::new()
        foreach ($index in 1..$Count) {
            $hostDir = New-Item -ItemType Directory -Path (Join-Path $WorkPath "host$index")
            $srv = New-Item -ItemType Directory -Path (Join-Path $hostDir 'srv')
            $null = New-Item -ItemType Directory -Path (Join-Path $srv 'tmp'), (Join-Path $srv 'state'), (Join-Path $srv 'releases')
            $address = "$subnet.$(10 + $index)"
            $h = [pscustomobject]@{
                Index = $index; Namespace = "murder-$id-$index"; Address = $address; Srv = $srv.FullName; Dir = $hostDir.FullName
                Veth = "mz$id$($index)a"; HostKey = Join-Path $hostDir 'ssh_host_ed25519_key'; AuthorizedKeys = Join-Path $hostDir 'authorized_keys'
                Process = $null; Log = Join-Path $hostDir 'sshd.log'
            }
            $fleet.Hosts.Add($h)
            Invoke-Checked ip @('netns', 'add', $h.Namespace) | Out-Null
            Invoke-Checked ip @('link', 'add', $h.Veth, 'type', 'veth', 'peer', 'name', "mz$id$($index)b") | Out-Null
            Invoke-Checked ip @('link', 'set', "mz$id$($index)b", 'netns', $h.Namespace) | Out-Null
            Invoke-Checked ip @('link', 'set', $h.Veth, 'master', $fleet.Bridge) | Out-Null
            Invoke-Checked ip @('link', 'set', $h.Veth, 'up') | Out-Null
            Invoke-Checked ip @('-n', $h.Namespace, 'addr', 'add', "$address/24", 'dev', "mz$id$($index)b") | Out-Null
            Invoke-Checked ip @('-n', $h.Namespace, 'link', 'set', "mz$id$($index)b", 'up') | Out-Null
            Invoke-Checked ip @('-n', $h.Namespace, 'link', 'set', 'lo', 'up') | Out-Null

            Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', "murder-test-host$index", '-f', $h.HostKey) | Out-Null
            Copy-Item -LiteralPath "$($fleet.ClientKey).pub" -Destination $h.AuthorizedKeys
            $known.Add("$address $((Get-Content -LiteralPath "$($h.HostKey).pub" -Raw).Trim())")
            $config = Join-Path $hostDir 'sshd_config'
            Set-Content -LiteralPath $config -Value @(
                "ListenAddress $address"
                'Port 22'
                "HostKey $($h.HostKey)"
                'PidFile none'
                'UsePAM no'
                'PermitRootLogin prohibit-password'
                'PubkeyAuthentication yes'
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                "AuthorizedKeysFile $($h.AuthorizedKeys)"
                'StrictModes no'
                'MaxStartups 50'
                'SetEnv MURDER_STATE_DIR=/srv/state'
                'Subsystem sftp internal-sftp'
                "Subsystem powershell $($fleet.PwshWrapper) -sshs -NoLogo -NoProfile"
            )
            $h | Add-Member -NotePropertyName Config -NotePropertyValue $config
            Start-TestHostSshd $h
        }
        Set-Content -LiteralPath $fleet.KnownHosts -Value $known
        foreach ($h in $fleet.Hosts) { Wait-TestHostPort -Address $h.Address -Port 22 -Log $h.Log }
        $fleet
    }
    catch {
        Remove-TestFleet $fleet
        throw
    }
}

function Start-TestHostSshd {
    # sshd in the host's namespace, in a mount namespace of its own where /srv is the host's directory.
    param([Parameter(Mandatory)] $TestHost)
    $start = [System.Diagnostics.ProcessStartInfo]::new('ip')
    foreach ($argument in @('netns', 'exec', $TestHost.Namespace, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
            'mount --bind "$1" /srv && exec /usr/sbin/sshd -D -e -f "$2" >>"$3" 2>&1', 'murder-host', $TestHost.Srv, $TestHost.Config, $TestHost.Log)) {
        $start.ArgumentList.Add($argument)
    }
    $start.UseShellExecute = $false
    $TestHost.Process = [System.Diagnostics.Process]::Start($start)
}

function Stop-TestFleetHost {
    # The host dies: every process in its namespace (sshd, its sessions, Murder's agents) is killed.
    param([Parameter(Mandatory)] $TestHost)
    foreach ($round in 1..3) {
        $ids = @(& ip netns pids $TestHost.Namespace 2>$null | Where-Object { $_ -match '^\d+$' })
        if ($ids.Count -eq 0) { break }
        foreach ($processId in $ids) { & kill -9 $processId 2>$null }
        Start-Sleep -Milliseconds 200
    }
    if ($TestHost.Process) { try { $TestHost.Process.WaitForExit(5000) | Out-Null } catch { } }
}

function Restart-TestFleetHost {
    # A host that died comes back: its sshd again (its files were kept).
    param([Parameter(Mandatory)] $TestHost)
    Stop-TestFleetHost $TestHost
    Start-TestHostSshd $TestHost
    Wait-TestHostPort -Address $TestHost.Address -Port 22 -Log $TestHost.Log
}

function Wait-TestHostPort {
    param([string] $Address, [int] $Port, [string] $Log)
    foreach ($attempt in 1..100) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            if ($client.ConnectAsync($Address, $Port).Wait(500) -and $client.Connected) { return }
        }
        catch { }
        finally { $client.Dispose() }
        Start-Sleep -Milliseconds 200
    }
    throw "sshd on $Address did not start: $(Get-Content -LiteralPath $Log -Raw -ErrorAction Ignore)"
}

function Remove-TestFleet {
    param($Fleet)
    if (-not $Fleet) { return }
    foreach ($h in $Fleet.Hosts) {
        # Every process in the namespace: sshd, and the trackers, seeders and peers it started.
        Stop-TestFleetHost $h
        & ip netns del $h.Namespace 2>$null
        & ip link del $h.Veth 2>$null
    }
    & ip link del $Fleet.Bridge 2>$null
    # /run/sshd (sshd's privilege-separation directory, empty) stays: another test fleet on this
    # machine may be running, and every new SSH connection to its hosts would be reset without it.
}

function New-TestFleetConfig {
    # A murder.psd1 for the test fleet, in the test's work directory.
    param([Parameter(Mandatory)] $Fleet, [Parameter(Mandatory)] [string[]] $Peers, [string] $Path = (Join-Path $Fleet.WorkPath 'murder.psd1'), [string] $KnownHosts = $Fleet.KnownHosts, [string] $KeyPath = $Fleet.ClientKey, [string] $RemotePwshPath = $Fleet.PwshWrapper, [string] $RemoteDotnetPath = 'dotnet', [int] $ThrottleLimit = 8)
    $quoted = ($Peers | ForEach-Object { "'$_'" }) -join ', '
    Set-Content -LiteralPath $Path -Value @"
@{
    User                   = 'root'
    Peers                  = @($quoted)
    TrackerPort            = 8998
    RemoteMurderPath       = '/srv/murder'
    RemotePwshPath         = '$RemotePwshPath'
    RemoteDotnetPath       = '$RemoteDotnetPath'
    TempPath               = '/srv/tmp'
    DefaultDestinationPath = '/srv/releases'
    SshKeyPath             = '$KeyPath'
    KnownHostsPath         = '$KnownHosts'
    ConnectTimeoutSeconds  = 10
    ThrottleLimit          = $ThrottleLimit
}
"@
    $Path
}

Export-ModuleMember -Function Get-TestFleetSkipReason, New-TestFleet, Remove-TestFleet, New-TestFleetConfig, Stop-TestFleetHost, Restart-TestFleetHost
