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
    # -Count hosts, built in bulk so a rig of a hundred or more stays quick: one shell script makes
    # every namespace, veth and tc cap (no PowerShell step per host), sshd starts without a shell of
    # ours in between. -ShareHostKey gives every host one host key (one ssh-keygen), -RateMbit caps
    # each host's link both ways with tc tbf (as bench/swarm does), -ModulePath puts a module on every
    # host as hard links (no upload of the module to each host). SetupSeconds says what it took.
    param([Parameter(Mandatory)] [string] $WorkPath, [int] $Count = 5, [switch] $ShareHostKey, [double] $RateMbit = 0, [int] $UncappedHosts = 0, [string] $ModulePath)
    if ($Count -lt 1 -or $Count -gt 230) { throw "A test fleet has 1 to 230 hosts (one /24), not $Count." }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $id = [guid]::NewGuid().ToString('N').Substring(0, 5)
    # A /24 of 198.18.0.0/15 picked at random, so parallel runs do not collide.
    $subnet = "198.18.$(Get-Random -Minimum 1 -Maximum 255)"
    $fleet = [pscustomobject]@{
        Id = $id; WorkPath = $WorkPath; Bridge = "mzb$id"; Subnet = $subnet; Hosts = [System.Collections.Generic.List[object]]::new()
        ClientKey = Join-Path $WorkPath 'client_ed25519'; OtherKey = Join-Path $WorkPath 'other_ed25519'
        KnownHosts = Join-Path $WorkPath 'known_hosts'; PwshWrapper = Join-Path $WorkPath 'pwsh.sh'
        CreatedRunSshd = $false; Unreachable = "$subnet.250"; SetupSeconds = 0.0; SavedNeighbour = $null
    }
    try {
        # The kernel's ARP table is one for every namespace: a swarm of N hosts holds about N x N
        # entries, and past gc_thresh2/3 the kernel drops neighbours ('neighbor table overflow', then
        # 'No route to host' to hosts that were reachable). Raised while the fleet lives, then restored.
        $needed = [Math]::Max(1024, 2 * $Count * $Count)
        $current = @(1, 2, 3 | ForEach-Object { [int](Get-Content -LiteralPath "/proc/sys/net/ipv4/neigh/default/gc_thresh$_" -ErrorAction Ignore) })
        if ($current.Count -eq 3 -and $current[1] -gt 0 -and $current[1] -lt $needed) {
            $fleet.SavedNeighbour = $current
            Set-Content -LiteralPath /proc/sys/net/ipv4/neigh/default/gc_thresh3 -Value (2 * $needed)
            Set-Content -LiteralPath /proc/sys/net/ipv4/neigh/default/gc_thresh2 -Value $needed
        }
        if (-not (Test-Path -LiteralPath /run/sshd)) { $null = New-Item -ItemType Directory -Path /run/sshd; $fleet.CreatedRunSshd = $true }
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'murder-test-client', '-f', $fleet.ClientKey) | Out-Null
        Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'murder-test-other', '-f', $fleet.OtherKey) | Out-Null
        $sharedKey = Join-Path $WorkPath 'ssh_host_ed25519_key'
        if ($ShareHostKey) { Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'murder-test-host', '-f', $sharedKey) | Out-Null }
        # The remote pwsh: this same PowerShell (the local dotnet tool) started through dotnet.
        $dotnet = (Get-Command dotnet).Source
        Set-Content -LiteralPath $fleet.PwshWrapper -Value "#!/bin/sh`nexec '$dotnet' '$(Join-Path $PSHOME 'pwsh.dll')' `"`$@`"`n"
        & chmod 755 $fleet.PwshWrapper

        $script = [System.Text.StringBuilder]::new("set -e`n")
        # Fixed link addresses, so every neighbour entry can be written up front (below).
        $bridgeMac = '02:6d:7a:01:00:01'
        $null = $script.AppendLine("ip link add name $($fleet.Bridge) address $bridgeMac type bridge").AppendLine("ip addr add $subnet.1/24 dev $($fleet.Bridge)").AppendLine("ip link set $($fleet.Bridge) up")
        # burst: at least rate/HZ and a few full-size frames (as bench/swarm/Measure-Swarm.ps1).
        $tbf = if ($RateMbit -gt 0) { "tbf rate $([int]($RateMbit * 1000))kbit burst $([Math]::Max(64 * 1024, [int]($RateMbit * 1e6 / 8 / 250))) latency 50ms" }
        $module = if ($ModulePath) { (Resolve-Path -LiteralPath $ModulePath).Path }
        foreach ($index in 1..$Count) {
            $hostDir = Join-Path $WorkPath "host$index"
            $srv = Join-Path $hostDir 'srv'
            $address = "$subnet.$(10 + $index)"
            $h = [pscustomobject]@{
                Index = $index; Namespace = "murder-$id-$index"; Address = $address; Srv = $srv; Dir = $hostDir; Mac = '02:6d:7a:00:{0:x2}:{1:x2}' -f ($index -shr 8), ($index -band 255)
                Veth = "mz$id$($index)a"; HostKey = if ($ShareHostKey) { $sharedKey } else { Join-Path $hostDir 'ssh_host_ed25519_key' }
                AuthorizedKeys = Join-Path $hostDir 'authorized_keys'; Process = $null; Log = Join-Path $hostDir 'sshd.log'; Config = Join-Path $hostDir 'sshd_config'
            }
            $fleet.Hosts.Add($h)
            $inner = "mz$id$($index)b"
            $null = $script.AppendLine("mkdir -p '$srv/tmp' '$srv/state' '$srv/releases'").AppendLine("cp '$($fleet.ClientKey).pub' '$($h.AuthorizedKeys)'")
            if (-not $ShareHostKey) { $null = $script.AppendLine("ssh-keygen -q -t ed25519 -N '' -C murder-test-host$index -f '$($h.HostKey)'") }
            if ($module) { $null = $script.AppendLine("cp -al '$module' '$srv/murder'") }
            $null = $script.AppendLine("ip netns add $($h.Namespace)").
                AppendLine("ip link add $($h.Veth) type veth peer name $inner address $($h.Mac) netns $($h.Namespace)").
                AppendLine("ip link set $($h.Veth) master $($fleet.Bridge) up").
                AppendLine("ip -n $($h.Namespace) addr add $address/24 dev $inner").
                AppendLine("ip -n $($h.Namespace) link set $inner up").
                AppendLine("ip -n $($h.Namespace) link set lo up")
            # Upload: egress of the host's end. Download: egress of the bridge's end.
            if ($tbf -and $index -gt $UncappedHosts) { $null = $script.AppendLine("tc -n $($h.Namespace) qdisc add dev $inner root $tbf").AppendLine("tc qdisc add dev $($h.Veth) root $tbf") }
        }
        # Static neighbour entries everywhere, as a switch with fixed tables: under load the softirq
        # backlog drops packets, and lost ARP probes held a host's connections up for seconds (the
        # swarm benchmark saw 40 s). The unreachable address stays unresolved.
        $rootBatch = [System.Text.StringBuilder]::new()
        foreach ($h in $fleet.Hosts) {
            $null = $rootBatch.AppendLine("neigh replace $($h.Address) lladdr $($h.Mac) dev $($fleet.Bridge) nud permanent")
            $hostBatch = [System.Text.StringBuilder]::new().AppendLine("neigh replace $subnet.1 lladdr $bridgeMac dev mz$id$($h.Index)b nud permanent")
            foreach ($other in $fleet.Hosts) {
                if ($other -ne $h) { $null = $hostBatch.AppendLine("neigh replace $($other.Address) lladdr $($other.Mac) dev mz$id$($h.Index)b nud permanent") }
            }
            $batchPath = Join-Path $h.Dir 'neighbours.txt'
            New-Item -ItemType Directory -Path $h.Dir -Force | Out-Null
            Set-Content -LiteralPath $batchPath -Value $hostBatch.ToString()
            $null = $script.AppendLine("ip -n $($h.Namespace) -batch '$batchPath'")
        }
        $rootBatchPath = Join-Path $WorkPath 'neighbours.txt'
        Set-Content -LiteralPath $rootBatchPath -Value $rootBatch.ToString()
        $null = $script.AppendLine("ip -batch '$rootBatchPath'")
        $scriptPath = Join-Path $WorkPath 'fleet-up.sh'
        Set-Content -LiteralPath $scriptPath -Value $script.ToString()
        Invoke-Checked sh @($scriptPath) | Out-Null

        $known = [System.Collections.Generic.List[string]]::new()
        $sharedPublic = if ($ShareHostKey) { (Get-Content -LiteralPath "$sharedKey.pub" -Raw).Trim() }
        foreach ($h in $fleet.Hosts) {
            $known.Add("$($h.Address) $(if ($ShareHostKey) { $sharedPublic } else { (Get-Content -LiteralPath "$($h.HostKey).pub" -Raw).Trim() })")
            Set-Content -LiteralPath $h.Config -Value @(
                "ListenAddress $($h.Address)"
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
            Start-TestHostSshd $h
        }
        Set-Content -LiteralPath $fleet.KnownHosts -Value $known
        foreach ($h in $fleet.Hosts) { Wait-TestHostPort -Address $h.Address -Port 22 -Log $h.Log }
        $fleet.SetupSeconds = $clock.Elapsed.TotalSeconds
        $fleet
    }
    catch {
        Remove-TestFleet $fleet
        throw
    }
}

function Start-TestHostSshd {
    # sshd in the host's namespace, in a mount namespace of its own where /srv is the host's directory
    # and root's ~/.bashrc is empty (as bench/swarm does): bash sources it for every SSH command, and
    # this machine's (pyenv init) costs 170 ms of CPU per command, which a server's does not.
    param([Parameter(Mandatory)] $TestHost)
    $start = [System.Diagnostics.ProcessStartInfo]::new('ip')
    foreach ($argument in @('netns', 'exec', $TestHost.Namespace, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
            'mount --bind "$1" /srv && { [ ! -f /root/.bashrc ] || mount --bind /dev/null /root/.bashrc; } && exec /usr/sbin/sshd -D -e -f "$2" >>"$3" 2>&1', 'murder-host', $TestHost.Srv, $TestHost.Config, $TestHost.Log)) {
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
    # Every process in every namespace (sshd, and the trackers, seeders and peers it started) killed,
    # then the namespaces (with their veths) and the bridge removed: one shell script for the whole
    # fleet, so a hundred hosts go in seconds. TeardownSeconds says how long it took.
    param($Fleet)
    if (-not $Fleet) { return }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $names = @($Fleet.Hosts | ForEach-Object Namespace)
    if ($names.Count -gt 0) {
        $list = $names -join ' '
        $script = @"
for round in 1 2 3; do
  found=
  for ns in $list; do
    pids=`$(ip netns pids "`$ns" 2>/dev/null) || true
    if [ -n "`$pids" ]; then found=1; kill -9 `$pids 2>/dev/null || true; fi
  done
  [ -z "`$found" ] && break
  sleep 0.3
done
for ns in $list; do ip netns del "`$ns" 2>/dev/null || true; done
for veth in $(@($Fleet.Hosts | ForEach-Object Veth) -join ' '); do ip link del "`$veth" 2>/dev/null || true; done
"@
        $null = & sh -c $script 2>&1
    }
    foreach ($h in $Fleet.Hosts) {
        if ($h.Process) { try { $h.Process.WaitForExit(2000) | Out-Null; $h.Process.Dispose() } catch { } }
    }
    & ip link del $Fleet.Bridge 2>$null
    # sshd of every fleet on this machine needs /run/sshd (privilege separation): a parallel run's
    # hosts would reset every new connection if it went while they still run.
    $others = @(& ip netns list 2>$null | Where-Object { $_ -like 'murder-*' })
    if ($Fleet.CreatedRunSshd -and $others.Count -eq 0) { Remove-Item -LiteralPath /run/sshd -Recurse -Force -ErrorAction Ignore }
    if ($Fleet.SavedNeighbour -and $others.Count -eq 0) {
        Set-Content -LiteralPath /proc/sys/net/ipv4/neigh/default/gc_thresh2 -Value $Fleet.SavedNeighbour[1]
        Set-Content -LiteralPath /proc/sys/net/ipv4/neigh/default/gc_thresh3 -Value $Fleet.SavedNeighbour[2]
    }
    $Fleet | Add-Member -NotePropertyName TeardownSeconds -NotePropertyValue $clock.Elapsed.TotalSeconds -Force
}

function New-TestFleetConfig {
    # A murder.psd1 for the test fleet, in the test's work directory.
    param([Parameter(Mandatory)] $Fleet, [Parameter(Mandatory)] [string[]] $Peers, [string] $Path = (Join-Path $Fleet.WorkPath 'murder.psd1'), [string] $KnownHosts = $Fleet.KnownHosts, [string] $KeyPath = $Fleet.ClientKey, [string] $RemotePwshPath = $Fleet.PwshWrapper, [string] $RemoteDotnetPath = 'dotnet', [int] $ThrottleLimit = 8, [int] $ConnectTimeoutSeconds = 10)
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
    ConnectTimeoutSeconds  = $ConnectTimeoutSeconds
    ThrottleLimit          = $ThrottleLimit
}
"@
    $Path
}

Export-ModuleMember -Function Get-TestFleetSkipReason, New-TestFleet, Remove-TestFleet, New-TestFleetConfig, Stop-TestFleetHost, Restart-TestFleetHost
