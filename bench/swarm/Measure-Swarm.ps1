<#
.SYNOPSIS
Swarm benchmark: Murder against libtorrent on N hosts whose links are capped at C, as root.

.DESCRIPTION
Builds a private network: one namespace holding a bridge (no address, connected to nothing else)
and one namespace per host (tracker, seeder, N peers), each joined to the bridge by a veth pair with
an address from 198.18.0.0/15 and shaped with tc tbf at C on both ends (the host's upload and
download). Then, for each engine in turn, on the same .torrent and through Murder's tracker: the
tracker, one seeder and N peers, each in its own namespace and started together. Records every peer's
verified-completion time from the common start, the seeder's uploaded payload, the payload the peers
received, CPU seconds per host (cgroup, lingering processes included) and peak memory per process.
Prints one table with T_min = F/C and the ratios, and writes results.json.

Every process runs under `timeout`, so a run stops by itself; namespaces, veths, the bridge, qdiscs,
cgroups and processes are removed at the end, when interrupted, and (stale ones) at the next start.

.EXAMPLE
dotnet pwsh ./bench/swarm/Measure-Swarm.ps1 -Peers 16 -SizeMB 256 -RateMbit 100
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 200)] [int] $Peers = 16,
    [ValidateRange(1, 8192)] [int] $SizeMB = 256,
    [ValidateRange(1, 10000)] [int] $RateMbit = 100,
    # murder: a fleet deploy (one control session, Invoke-MurderPeer -ComputerName over SSH to every
    # peer host, each host's agent doing the work); murder-local: Invoke-MurderPeer in a PowerShell
    # started on each peer (what a deploy cost before the agent ran peers over SSH); relay-chain: not
    # an engine but this machine's floor, the artifact streamed seed -> p01 -> ... -> pN by a minimal
    # relay (relay_node.py), each host uploading and downloading F once, no protocol, no hashing.
    [ValidateSet('murder', 'murder-local', 'libtorrent-default', 'libtorrent-high_performance_seed', 'relay-chain')]
    [string[]] $Engines = @('murder', 'libtorrent-default', 'libtorrent-high_performance_seed'),
    # Per engine run; 0: 5 x T_min + 90 s.
    [int] $TimeoutSeconds = 0,
    [string] $WorkPath = '/tmp/murder-swarm-bench',
    # The built module; built with ./build.ps1 -Task Build when missing.
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/Murder/Murder.psd1'),
    [switch] $CleanOnly
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3

$Prefix = 'mbench-'              # every namespace this benchmark creates
$CoreNs = "${Prefix}core"         # holds the bridge
$CgroupRoot = '/sys/fs/cgroup/cpuacct/murder-swarm-bench'
$Python = '/usr/bin/python3'      # Debian's, which has the libtorrent bindings
$Subnet = '198.18.0'              # 198.18.0.0/15 only

function Invoke-Native([string] $File, [string[]] $Arguments, [switch] $IgnoreErrors) {
    $output = & $File @Arguments 2>&1
    if ($LASTEXITCODE -ne 0 -and -not $IgnoreErrors) { throw "$File $($Arguments -join ' ') failed: $output" }
    $output
}

function Install-Prerequisites {
    $missing = @()
    if (-not (Get-Command ip -ErrorAction Ignore) -or -not (Get-Command tc -ErrorAction Ignore)) { $missing += 'iproute2' }
    if (-not (Test-Path /usr/bin/time)) { $missing += 'time' }
    if (-not (Get-Command timeout -ErrorAction Ignore)) { $missing += 'coreutils' }
    if (-not (Test-Path $Python)) { $missing += 'python3' }
    if (-not (Test-Path /usr/sbin/sshd)) { $missing += 'openssh-server' }
    if (-not (Get-Command ssh-keygen -ErrorAction Ignore)) { $missing += 'openssh-client' }
    & $Python -c 'import libtorrent' 2>$null
    if ($LASTEXITCODE -ne 0) { $missing += 'python3-libtorrent' }
    if ($missing) {
        Write-Host "Installing $($missing -join ', ') from Debian"
        Invoke-Native apt-get @('update', '-q') | Out-Null
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get (@('install', '-y', '-q', '--no-install-recommends') + $missing) | Out-Null
    }
}

function Stop-BenchProcesses {
    # Everything in our cgroups, then anything still inside our namespaces.
    if (Test-Path $CgroupRoot) {
        foreach ($tasks in Get-ChildItem $CgroupRoot -Recurse -Filter tasks -File) {
            foreach ($id in Get-Content $tasks.FullName) { Invoke-Native kill @('-KILL', $id) -IgnoreErrors | Out-Null }
        }
    }
    foreach ($ns in Get-BenchNamespaces) {
        foreach ($id in (Invoke-Native ip @('netns', 'pids', $ns) -IgnoreErrors)) {
            if ($id -match '^\d+$') { Invoke-Native kill @('-KILL', $id) -IgnoreErrors | Out-Null }
        }
    }
}

function Get-BenchNamespaces {
    @(Invoke-Native ip @('netns', 'list') -IgnoreErrors | ForEach-Object { ("$_" -split ' ')[0] } | Where-Object { $_ -like "$Prefix*" })
}

function Remove-BenchNetwork {
    Stop-BenchProcesses
    Start-Sleep -Milliseconds 300
    # Deleting a namespace deletes its veth end (and so the pair), its qdiscs, and the bridge in the core.
    foreach ($ns in Get-BenchNamespaces) { Invoke-Native ip @('netns', 'del', $ns) -IgnoreErrors | Out-Null }
    if (Test-Path $CgroupRoot) {
        Get-ChildItem $CgroupRoot -Directory | ForEach-Object { Invoke-Native rmdir @($_.FullName) -IgnoreErrors | Out-Null }
        Invoke-Native rmdir @($CgroupRoot) -IgnoreErrors | Out-Null
    }
}

function New-BenchNetwork([string[]] $Hosts) {
    $rate = "${RateMbit}mbit"
    # burst: at least rate/HZ and a few full-size GSO frames; queue: 50 ms at the rate.
    $burst = [Math]::Max(64 * 1024, [int]($RateMbit * 1e6 / 8 / 250))
    Invoke-Native ip @('netns', 'add', $CoreNs) | Out-Null
    # Bridged frames skip iptables (br_netfilter, when loaded, is per namespace): a switch does no
    # firewalling, and it cost every engine about 5% of its CPU here (perf).
    Invoke-Native ip @('netns', 'exec', $CoreNs, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0') -IgnoreErrors | Out-Null
    Invoke-Native ip @('-n', $CoreNs, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0') | Out-Null
    Invoke-Native ip @('-n', $CoreNs, 'link', 'set', 'br0', 'up') | Out-Null
    $addresses = [ordered]@{}
    $index = 10
    foreach ($name in $Hosts) {
        $ns = "$Prefix$name"
        $address = "$Subnet.$index"
        $index++
        Invoke-Native ip @('netns', 'add', $ns) | Out-Null
        Invoke-Native ip @('netns', 'exec', $ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1') -IgnoreErrors | Out-Null
        Invoke-Native ip @('-n', $CoreNs, 'link', 'add', $name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', $ns) | Out-Null
        Invoke-Native ip @('-n', $CoreNs, 'link', 'set', $name, 'master', 'br0', 'up') | Out-Null
        Invoke-Native ip @('-n', $ns, 'addr', 'add', "$address/24", 'dev', 'eth0') | Out-Null
        Invoke-Native ip @('-n', $ns, 'link', 'set', 'eth0', 'up') | Out-Null
        Invoke-Native ip @('-n', $ns, 'link', 'set', 'lo', 'up') | Out-Null
        # Upload: egress of the host's end. Download: egress of the bridge's end.
        Invoke-Native tc @('-n', $ns, 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', $rate, 'burst', "$burst", 'latency', '50ms') | Out-Null
        Invoke-Native tc @('-n', $CoreNs, 'qdisc', 'add', 'dev', $name, 'root', 'tbf', 'rate', $rate, 'burst', "$burst", 'latency', '50ms') | Out-Null
        $addresses[$name] = $address
    }
    # Static neighbour entries on every host, as a switch with fixed tables: under full load the
    # softirq backlog drops packets, and three lost ARP probes fail a connect with "No route to
    # host" (a N=32 peer could not reach the tracker for 40 s); TCP retransmits, ARP gives up.
    $macs = @{}
    foreach ($name in $Hosts) { $macs[$name] = (Invoke-Native ip @('-n', "$Prefix$name", '-j', 'link', 'show', 'eth0') | ConvertFrom-Json)[0].address }
    foreach ($name in $Hosts) {
        $batch = Join-Path ([System.IO.Path]::GetTempPath()) "mbench-neigh-$name.txt"
        Set-Content -LiteralPath $batch -Value @($Hosts | Where-Object { $_ -ne $name } | ForEach-Object { "neigh replace $($addresses[$_]) lladdr $($macs[$_]) dev eth0 nud permanent" })
        Invoke-Native ip @('-n', "$Prefix$name", '-batch', $batch) | Out-Null
        Remove-Item -LiteralPath $batch
    }
    $addresses
}

function Start-BenchProcess([string] $Name, [string] $Directory, [string[]] $Command, [int] $Seconds, [hashtable] $Environment = @{}) {
    # In the host's namespace and cgroup, under timeout (it stops by itself) and GNU time (peak RSS).
    $cgroup = Join-Path $CgroupRoot $Name
    if (-not (Test-Path $cgroup)) { New-Item -ItemType Directory $cgroup | Out-Null }
    $envArgs = @($Environment.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" })
    $inner = @('timeout', '-s', 'KILL', "$Seconds", 'ip', 'netns', 'exec', "$Prefix$Name", 'env') + $envArgs +
        @('/usr/bin/time', '-f', '%e %U %S %M', '-o', (Join-Path $Directory 'time.txt')) + $Command
    $quoted = ($inner | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' '
    $script = "echo `$`$ > '$cgroup/tasks'; exec $quoted > '$Directory/stdout.txt' 2> '$Directory/stderr.txt' < /dev/null"
    $info = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $info.ArgumentList.Add('-c')
    $info.ArgumentList.Add($script)
    $info.UseShellExecute = $false
    [System.Diagnostics.Process]::Start($info)
}

function Get-HostCpuSeconds([string] $Name, [string] $Directory) {
    # Process CPU (user + system), not the cgroup's cpuacct: that also charges the softirq work of
    # the virtual network (veth, bridge, tbf) to whichever task happened to be running.
    # Exited main process: GNU time's record. Still running (lingering seeders): /proc/PID/stat.
    $user = 0.0
    $system = 0.0
    $file = Join-Path $Directory 'time.txt'
    if (Test-Path $file) {
        $line = Get-Content $file | Where-Object { $_ -match '^\S+ \S+ \S+ \d+$' } | Select-Object -Last 1
        if ($line) { $parts = $line -split ' '; $user += [double]$parts[1]; $system += [double]$parts[2] }
    }
    $procs = Join-Path $CgroupRoot "$Name/cgroup.procs"
    if (Test-Path $procs) {
        foreach ($id in Get-Content $procs) {
            $stat = Get-Content "/proc/$id/stat" -ErrorAction Ignore
            if (-not $stat) { continue }
            $comm = $stat.Substring($stat.IndexOf('(') + 1, $stat.LastIndexOf(')') - $stat.IndexOf('(') - 1)
            if ($comm -in 'timeout', 'time', 'sh') { continue }
            $fields = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
            # utime, stime, and cutime, cstime of the children it reaped (an sshd's finished sessions), in clock ticks
            $user += ([double]$fields[11] + [double]$fields[13]) / 100
            $system += ([double]$fields[12] + [double]$fields[14]) / 100
        }
    }
    [pscustomobject]@{ User = $user; System = $system; Total = $user + $system }
}

function Get-PeakMegabytes([string] $Name, [string] $Directory) {
    # The exited main process (GNU time), and every process still running in the host's cgroup
    # (VmHWM: a detached agent is no child that GNU time waits for).
    $peak = $null
    $file = Join-Path $Directory 'time.txt'
    if (Test-Path $file) {
        $line = Get-Content $file | Where-Object { $_ -match '^\S+ \S+ \S+ \d+$' } | Select-Object -Last 1
        if ($line) { $peak = [double]($line -split ' ')[3] / 1024 }
    }
    $procs = Join-Path $CgroupRoot "$Name/cgroup.procs"
    if (Test-Path $procs) {
        foreach ($id in Get-Content $procs) {
            $hwm = Get-Content "/proc/$id/status" -ErrorAction Ignore | Where-Object { $_ -like 'VmHWM:*' } | Select-Object -First 1
            if ($hwm -match '(\d+)\s*kB') { $mb = [double]$Matches[1] / 1024; if ($null -eq $peak -or $mb -gt $peak) { $peak = $mb } }
        }
    }
    $peak
}

function Read-Json([string] $Path) {
    if (Test-Path $Path) { try { Get-Content -Raw $Path | ConvertFrom-Json } catch { $null } } else { $null }
}

function Wait-Until([scriptblock] $Condition, [double] $Seconds, [string] $What) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Seconds s waiting for $What." }
        Start-Sleep -Milliseconds 100
    }
}

function New-FleetKeys($Addresses) {
    # What a fleet deploy needs once: a client key, a host key per peer, known_hosts, murder.psd1.
    $sshPath = New-Item -ItemType Directory (Join-Path $WorkPath 'ssh') -Force | Select-Object -ExpandProperty FullName
    if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory /run/sshd | Out-Null; $script:CreatedRunSshd = $true }
    $clientKey = Join-Path $sshPath 'client_ed25519'
    Invoke-Native ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'murder-bench', '-f', $clientKey) | Out-Null
    $known = foreach ($name in @($Addresses.Keys | Where-Object { $_ -like 'p*' })) {
        $hostKey = Join-Path $sshPath "$name-host_ed25519"
        Invoke-Native ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', "murder-bench-$name", '-f', $hostKey) | Out-Null
        "$($Addresses[$name]) $((Get-Content -Raw "$hostKey.pub").Trim())"
    }
    $knownHosts = Join-Path $sshPath 'known_hosts'
    Set-Content -LiteralPath $knownHosts -Value $known
    # Where the agent cannot start, the hosts fall back to this same PowerShell.
    $wrapper = Join-Path $sshPath 'pwsh.sh'
    Set-Content -LiteralPath $wrapper -Value "#!/bin/sh`nexec '$((Get-Process -Id $PID).Path)' '$([System.Reflection.Assembly]::GetEntryAssembly().Location)' `"`$@`"`n"
    Invoke-Native chmod @('755', $wrapper) | Out-Null
    $config = Join-Path $sshPath 'murder.psd1'
    Set-Content -LiteralPath $config -Value @"
@{
    User                  = 'root'
    RemoteMurderPath      = '/srv/murder'
    RemotePwshPath        = '$wrapper'
    RemoteDotnetPath      = 'dotnet'
    TempPath              = '/srv/tmp'
    SshKeyPath            = '$clientKey'
    KnownHostsPath        = '$knownHosts'
    ConnectTimeoutSeconds = 30
    ThrottleLimit         = $([Math]::Max(32, $Peers))
}
"@
    [pscustomobject]@{ Path = $sshPath; ClientKey = $clientKey; ConfigPath = $config }
}

function Start-FleetHosts([string[]] $Names, $Addresses, $Directories, [int] $Seconds) {
    # Each peer host: the module under its own /srv (a bind mount in its own mount namespace, so
    # every host has its own /srv/murder, /srv/tmp, /srv/state and /srv/releases) and an sshd.
    # Its root shell starts clean, as on a server: this machine's /root/.bashrc sets up pyenv and
    # cargo, which bash runs for every SSH command (0.6 s each, measured), where a server's
    # default .bashrc returns at once for a non-interactive shell.
    foreach ($name in $Names) {
        $srv = Join-Path $Directories[$name] 'srv'
        foreach ($sub in 'tmp', 'state', 'releases') { New-Item -ItemType Directory (Join-Path $srv $sub) -Force | Out-Null }
        Copy-Item -Recurse (Split-Path $ModulePath) (Join-Path $srv 'murder')
        $config = Join-Path $Directories[$name] 'sshd_config'
        Set-Content -LiteralPath $config -Value @(
            "ListenAddress $($Addresses[$name])", 'Port 22', "HostKey $(Join-Path $FleetKeys.Path "$name-host_ed25519")", 'PidFile none', 'UsePAM no',
            'PermitRootLogin prohibit-password', 'PubkeyAuthentication yes', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
            "AuthorizedKeysFile $($FleetKeys.ClientKey).pub", 'StrictModes no', 'MaxStartups 100', 'SetEnv MURDER_STATE_DIR=/srv/state', 'Subsystem sftp internal-sftp')
        Start-BenchProcess $name $Directories[$name] @('unshare', '--mount', '--propagation', 'private', 'sh', '-c',
            'mount --bind "$1" /srv && { [ ! -f /root/.bashrc ] || mount --bind /dev/null /root/.bashrc; } && exec /usr/sbin/sshd -D -e -f "$2"', 'murder-host', $srv, $config) $Seconds | Out-Null
    }
    $probe = 'import socket, sys; socket.create_connection((sys.argv[1], 22), 1).close()'
    foreach ($name in $Names) {
        Wait-Until { $null = & ip netns exec "${Prefix}ctl" $Python -c $probe $Addresses[$name] 2>$null; $LASTEXITCODE -eq 0 } 60 "sshd on $name"
    }
}

function Invoke-EngineRun([string] $Engine, $Addresses, $Torrent, [string] $RunPath, [int] $Seconds) {
    $pwsh = @((Get-Process -Id $PID).Path, [System.Reflection.Assembly]::GetEntryAssembly().Location) # dotnet + pwsh.dll, or pwsh
    if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh[0]) -eq 'pwsh') { $pwsh = @($pwsh[0]) }
    $pwsh += @('-NoProfile', '-NonInteractive', '-File')
    $trackerUrl = "http://$($Addresses['tracker']):8998/scrape"
    $stopFile = Join-Path $RunPath 'stop'
    $dirs = @{}
    foreach ($name in $Addresses.Keys) { $dirs[$name] = New-Item -ItemType Directory (Join-Path $RunPath $name) -Force | Select-Object -ExpandProperty FullName }
    $stateEnv = { param($name) @{ MURDER_STATE_DIR = (Join-Path $dirs[$name] 'state'); HOME = $dirs[$name]; TMPDIR = $dirs[$name] } }

    # The tracker: Murder's, for every engine, default announce interval. As Start-MurderTracker runs
    # it on a Linux x64 host: the native agent (in the foreground here, so the run owns it); a
    # PowerShell one where the module has no native agent.
    $nativeAgent = Join-Path (Split-Path $ModulePath) 'bin/linux-x64/murder-agent'
    $trackerCommand = if (Test-Path -LiteralPath $nativeAgent) {
        @($nativeAgent, 'Start-MurderTracker', '-Port', '8998', '-BindAddress', $Addresses['tracker'], '-Open', 'True', '-TorrentDirectory', (Join-Path $dirs['tracker'] 'torrents'))
    }
    else {
        $pwsh[0..($pwsh.Count - 2)] + @('-Command', "Import-Module '$ModulePath'; Start-MurderTracker -Port 8998 -BindAddress $($Addresses['tracker']) -Open -Foreground")
    }
    Start-BenchProcess 'tracker' $dirs['tracker'] $trackerCommand $Seconds (& $stateEnv 'tracker') | Out-Null
    $scrape = { param($ns) [int](Invoke-Native ip @('netns', 'exec', "$Prefix$ns", $Python, (Join-Path $PSScriptRoot 'scrape.py'), $trackerUrl, $Torrent.InfoHash) -IgnoreErrors | Select-Object -Last 1) }
    Wait-Until { (& $scrape 'seed') -ge 0 } 60 'the tracker'

    # The seeder.
    $seedResult = Join-Path $dirs['seed'] 'result.json'
    if ($Engine -like 'murder*') {
        $command = $pwsh + @((Join-Path $PSScriptRoot 'murder_seed.ps1'), '-ModulePath', $ModulePath, '-TorrentPath', $Torrent.TorrentPath, '-ArtifactPath', $Torrent.ArtifactPath, '-Port', '6881', '-ResultPath', $seedResult, '-StopFile', $stopFile, '-TimeoutSeconds', "$Seconds")
    }
    elseif ($Engine -eq 'relay-chain') {
        $command = @($Python, (Join-Path $PSScriptRoot 'relay_node.py'), '--role', 'seed', '--address', $Addresses['seed'], '--port', '6881', '--file', $Torrent.ArtifactPath, '--size', "$((Get-Item $Torrent.ArtifactPath).Length)", '--result', $seedResult, '--stop-file', $stopFile, '--timeout', "$Seconds")
    }
    else {
        $command = @($Python, (Join-Path $PSScriptRoot 'lt_node.py'), '--role', 'seed', '--torrent', $Torrent.TorrentPath, '--save', (Split-Path $Torrent.ArtifactPath), '--address', $Addresses['seed'], '--port', '6881', '--preset', $Engine.Substring('libtorrent-'.Length), '--result', $seedResult, '--stop-file', $stopFile, '--timeout', "$Seconds")
    }
    Start-BenchProcess 'seed' $dirs['seed'] $command $Seconds (& $stateEnv 'seed') | Out-Null
    # The relay chain has no tracker client: its seeder is ready when it listens.
    if ($Engine -ne 'relay-chain') { Wait-Until { (& $scrape 'seed') -ge 1 } 120 'the seeder to announce' }
    else { Start-Sleep -Milliseconds 500 }

    # The peers, started together.
    $peerNames = @($Addresses.Keys | Where-Object { $_ -like 'p*' })
    if ($Engine -eq 'murder') {
        # A fleet deploy: sshd on every peer host, then one control session runs Invoke-MurderPeer
        # -ComputerName against all of them; the clock starts when that command begins.
        Start-FleetHosts $peerNames $Addresses $dirs $Seconds
        $startPath = Join-Path $dirs['ctl'] 'start.json'
        $command = $pwsh + @((Join-Path $PSScriptRoot 'murder_fleet.ps1'), '-ModulePath', $ModulePath, '-ConfigPath', $FleetKeys.ConfigPath, '-TorrentPath', $Torrent.TorrentPath,
            '-Hosts', (($peerNames | ForEach-Object { "$_=$($Addresses[$_])" }) -join ','), '-ResultDirectories', (($peerNames | ForEach-Object { "$_=$($dirs[$_])" }) -join ','),
            '-StartPath', $startPath, '-SeedSeconds', "$Seconds")
        Start-BenchProcess 'ctl' $dirs['ctl'] $command $Seconds (& $stateEnv 'ctl') | Out-Null
        Wait-Until { Read-Json $startPath } 120 'the control session to begin'
        $start = (Read-Json $startPath).startedAt
    }
    else {
        $start = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
    }
    foreach ($name in $(if ($Engine -eq 'murder') { @() } else { $peerNames })) {
        $result = Join-Path $dirs[$name] 'result.json'
        if ($Engine -eq 'relay-chain') {
            $index = [Array]::IndexOf($peerNames, $name)
            $upstream = if ($index -eq 0) { $Addresses['seed'] } else { $Addresses[$peerNames[$index - 1]] }
            $command = @($Python, (Join-Path $PSScriptRoot 'relay_node.py'), '--role', 'peer', '--address', $Addresses[$name], '--port', '6881', '--file', (Join-Path $dirs[$name] 'Bench.tgz'), '--size', "$((Get-Item $Torrent.ArtifactPath).Length)", '--upstream', $upstream,
                '--result', $result, '--stop-file', $stopFile, '--timeout', "$Seconds") + $(if ($index -eq $peerNames.Count - 1) { @('--last') } else { @() })
        }
        elseif ($Engine -eq 'murder-local') {
            $command = $pwsh + @((Join-Path $PSScriptRoot 'murder_peer.ps1'), '-ModulePath', $ModulePath, '-TorrentPath', $Torrent.TorrentPath, '-HostPath', $dirs[$name], '-ResultPath', $result, '-SeedSeconds', "$Seconds")
        }
        else {
            $command = @($Python, (Join-Path $PSScriptRoot 'lt_node.py'), '--role', 'peer', '--torrent', $Torrent.TorrentPath, '--save', $dirs[$name], '--address', $Addresses[$name], '--port', '6881', '--preset', $Engine.Substring('libtorrent-'.Length), '--result', $result, '--stop-file', $stopFile, '--timeout', "$Seconds")
        }
        Start-BenchProcess $name $dirs[$name] $command $Seconds (& $stateEnv $name) | Out-Null
    }
    $done = { @($peerNames | Where-Object { $r = Read-Json (Join-Path $dirs[$_] 'result.json'); $r -and $r.verifiedAt }).Count -eq $peerNames.Count }
    $timedOut = $false
    try { Wait-Until $done ($Seconds - 5) 'every peer' } catch { $timedOut = $true; Write-Warning "$Engine`: $_" }
    $allDone = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0

    # Stop the seeders (they write their final counters), give them a moment, then end everything.
    New-Item -ItemType File $stopFile -Force | Out-Null
    $stopWait = [DateTime]::UtcNow.AddSeconds(15)
    while ([DateTime]::UtcNow -lt $stopWait -and -not (Read-Json $seedResult)) { Start-Sleep -Milliseconds 200 }
    # libtorrent peers, both seeders and the control session exit by themselves; wait for them
    # (GNU time then records them). A fleet's peer hosts keep their sshd until the end.
    $mains = @('seed') + $(if ($Engine -eq 'murder') { @('ctl') } else { $peerNames })
    $mainsDone = [DateTime]::UtcNow.AddSeconds(15)
    while ([DateTime]::UtcNow -lt $mainsDone -and @($mains | Where-Object { -not (Test-Path (Join-Path $dirs[$_] 'time.txt')) }).Count -gt 0) {
        Start-Sleep -Milliseconds 200
    }
    $cpu = @{}
    $peaks = @{}
    foreach ($name in $Addresses.Keys) { $cpu[$name] = Get-HostCpuSeconds $name $dirs[$name]; $peaks[$name] = Get-PeakMegabytes $name $dirs[$name] }
    # What runs on the peer hosts now (murder: the lingering agents, native `murder-agent` or managed `dotnet`).
    $programs = @($peerNames | ForEach-Object { Get-Content (Join-Path $CgroupRoot "$_/cgroup.procs") -ErrorAction Ignore } |
        ForEach-Object { (Get-Content "/proc/$_/comm" -ErrorAction Ignore) } | Where-Object { $_ -and $_ -notin 'timeout', 'time', 'sh', 'unshare' } | Group-Object -NoElement | ForEach-Object { "$($_.Name) x$($_.Count)" })
    Stop-BenchProcesses
    Start-Sleep -Milliseconds 300

    $peerResults = foreach ($name in $peerNames) {
        $r = Read-Json (Join-Path $dirs[$name] 'result.json')
        [pscustomobject]@{
            Host          = $name
            Completed     = if ($r -and $r.verifiedAt) { $r.verifiedAt - $start } else { $null }
            FirstPiece    = if ($r -and $r.firstPieceAt) { $r.firstPieceAt - $start } else { $null }
            FirstPieceFromEngineStart = if ($r -and $r.firstPieceAt) { $r.firstPieceAt - $r.startedAt } else { $null }
            EngineStarted = if ($r) { $r.startedAt - $start } else { $null }
            Received      = if ($r) { [long]$r.received } else { 0 }
            Wasted        = if ($r -and $null -ne $r.wasted) { [long]$r.wasted } else { 0 }
            CpuSeconds    = $cpu[$name].Total
            SystemSeconds = $cpu[$name].System
            PeakMB        = $peaks[$name]
        }
    }
    $seed = Read-Json $seedResult
    [pscustomobject]@{
        Engine         = $Engine
        TimedOut       = $timedOut
        Peers          = @($peerResults)
        SeederUploaded = if ($seed) { [long]$seed.uploaded } else { $null }
        SeederCpu      = $cpu['seed'].Total
        SeederPeakMB   = $peaks['seed']
        ControlCpu     = if ($Engine -eq 'murder') { $cpu['ctl'].Total } else { $null }
        PeerPrograms   = $programs -join ', '
        Elapsed        = $allDone - $start
    }
}

function Format-Summary($Run, [long] $F, [double] $TMin) {
    $completed = @($Run.Peers | Where-Object Completed -ne $null)
    $last = if ($completed.Count -eq $Run.Peers.Count) { ($completed | Measure-Object Completed -Maximum).Maximum } else { $null }
    $received = ($Run.Peers | Measure-Object Received -Sum).Sum
    $wasted = ($Run.Peers | Measure-Object Wasted -Sum).Sum
    $cpu = ($Run.Peers | Measure-Object CpuSeconds -Sum).Sum
    $systemCpu = ($Run.Peers | Measure-Object SystemSeconds -Sum).Sum
    $sorted = @($completed | Sort-Object Completed)
    [pscustomobject]@{
        Engine          = $Run.Engine
        LastCompletion  = $last
        MedianCompletion = if ($sorted) { $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)].Completed } else { $null }
        FirstCompletion = if ($sorted) { $sorted[0].Completed } else { $null }
        Finished        = "$($completed.Count)/$($Run.Peers.Count)"
        LastOverTMin    = if ($last) { $last / $TMin } else { $null }
        SeederUpOverF   = if ($null -ne $Run.SeederUploaded) { $Run.SeederUploaded / $F } else { $null }
        ReceivedOverNF  = $received / ($Run.Peers.Count * $F)
        WastedOverNF    = $wasted / ($Run.Peers.Count * $F)
        FirstPieceMax   = ($Run.Peers | Measure-Object FirstPiece -Maximum).Maximum
        FirstPieceFromEngineMax = ($Run.Peers | Measure-Object FirstPieceFromEngineStart -Maximum).Maximum
        EngineStartMax  = ($Run.Peers | Measure-Object EngineStarted -Maximum).Maximum
        PeerCpuSeconds  = $cpu
        CpuSecondsPerGB = if ($received) { $cpu / ($received / 1e9) } else { $null }
        SystemShare     = if ($cpu) { $systemCpu / $cpu } else { $null }
        PeerPeakMBMax   = ($Run.Peers | Measure-Object PeakMB -Maximum).Maximum
        SeederCpu       = $Run.SeederCpu
        ControlCpu      = $Run.ControlCpu
    }
}

# ---------------------------------------------------------------------------------------------
if ((Invoke-Native id @('-u')) -ne '0') { throw 'Run as root: the benchmark creates network namespaces, qdiscs and cgroups.' }
Remove-BenchNetwork   # stale leftovers from a killed run
if ($CleanOnly) { return }
Install-Prerequisites
$ModulePath = [System.IO.Path]::GetFullPath($ModulePath)
if (-not (Test-Path $ModulePath)) {
    & (Join-Path $PSScriptRoot '../../build.ps1') -Task Build
}

$F = 0L
$TMin = 0.0
$CreatedRunSshd = $false
$FleetKeys = $null
try {
    if (Test-Path $WorkPath) { Remove-Item -Recurse -Force $WorkPath }
    New-Item -ItemType Directory $WorkPath | Out-Null
    # A private copy, so a rebuild during the run does not change the module under the processes.
    Copy-Item -Recurse (Split-Path $ModulePath) (Join-Path $WorkPath 'module/Murder')
    $ModulePath = Join-Path $WorkPath "module/Murder/$(Split-Path -Leaf $ModulePath)"
    New-Item -ItemType Directory $CgroupRoot -Force | Out-Null

    $hosts = @('tracker', 'seed', 'ctl') + @(1..$Peers | ForEach-Object { 'p{0:D2}' -f $_ })
    $addresses = New-BenchNetwork $hosts
    if ($Engines -contains 'murder') { $FleetKeys = New-FleetKeys $addresses }
    $trackerAddress = $addresses['tracker']

    # The artifact: incompressible content packed by New-MurderTorrent, so F is the size asked for.
    $source = New-Item -ItemType Directory (Join-Path $WorkPath 'source') | Select-Object -ExpandProperty FullName
    Invoke-Native sh @('-c', "head -c $($SizeMB * 1MB) /dev/urandom > '$source/payload.bin'") | Out-Null
    $env:MURDER_STATE_DIR = Join-Path $WorkPath 'state'
    $torrentInfo = & {
        Import-Module $ModulePath
        New-MurderTorrent -Tag Bench -Path $source -Tracker "${trackerAddress}:8998" -OutputDirectory (Join-Path $WorkPath 'seed')
    }
    $torrent = [pscustomobject]@{ TorrentPath = $torrentInfo.TorrentPath; ArtifactPath = $torrentInfo.ArtifactPath; InfoHash = $torrentInfo.InfoHash }
    $F = (Get-Item $torrent.ArtifactPath).Length
    $TMin = $F * 8 / ($RateMbit * 1e6)
    $seconds = if ($TimeoutSeconds -gt 0) { $TimeoutSeconds } else { [int](5 * $TMin + 90) }
    $pieceLength = [int](Invoke-Native $Python @('-c', "import libtorrent as lt; print(lt.torrent_info('$($torrent.TorrentPath)').piece_length())"))
    Write-Host ("N={0} F={1:N0} bytes ({2} pieces of {3} KiB) C={4} Mbit/s  T_min=F/C={5:N2} s  timeout {6} s per engine" -f $Peers, $F, [Math]::Ceiling($F / [double]$pieceLength), ($pieceLength / 1024), $RateMbit, $TMin, $seconds)

    # What a PowerShell start-up and module import cost here, alone.
    $startup = Join-Path $WorkPath 'startup.txt'
    Invoke-Native /usr/bin/time @('-f', '%e %U %S %M', '-o', $startup, (Get-Process -Id $PID).Path, [System.Reflection.Assembly]::GetEntryAssembly().Location, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'") | Out-Null
    $startupParts = (Get-Content $startup | Select-Object -Last 1) -split ' '
    $startupCpu = [double]$startupParts[1] + [double]$startupParts[2]
    Write-Host ("pwsh start-up + Import-Module Murder alone: {0} s wall, {1:N2} CPU s" -f $startupParts[0], $startupCpu)

    $runs = foreach ($engine in $Engines) {
        Write-Host "Running $engine ..."
        $run = Invoke-EngineRun $engine $addresses $torrent (Join-Path $WorkPath $engine) $seconds
        $summary = Format-Summary $run $F $TMin
        Write-Host ("  {0}: last {1:N2} s ({2:N2} x T_min), {3} finished; on the peer hosts at the end: {4}" -f $engine, $summary.LastCompletion, $summary.LastOverTMin, $summary.Finished, $run.PeerPrograms)
        # Free the disk before the next engine.
        Get-ChildItem (Join-Path $WorkPath $engine) -Directory | Where-Object Name -like 'p*' |
            ForEach-Object { Remove-Item -Recurse -Force (Join-Path $_.FullName 'dest'), (Join-Path $_.FullName 'temp'), (Join-Path $_.FullName 'Bench.tgz'), (Join-Path $_.FullName 'srv/tmp'), (Join-Path $_.FullName 'srv/releases'), (Join-Path $_.FullName 'srv/murder') -ErrorAction Ignore }
        [pscustomobject]@{ Run = $run; Summary = $summary }
    }
}
finally {
    Remove-BenchNetwork
    if ($CreatedRunSshd) { Remove-Item -LiteralPath /run/sshd -Recurse -Force -ErrorAction Ignore }
}

$summaries = @($runs | ForEach-Object Summary)
$murder = $summaries | Where-Object Engine -eq 'murder'
$rows = [ordered]@{
    'Last completion s'        = { param($s) '{0:N2}' -f $s.LastCompletion }
    'Median completion s'      = { param($s) '{0:N2}' -f $s.MedianCompletion }
    'Last / T_min'             = { param($s) '{0:N3}' -f $s.LastOverTMin }
    'Murder last / this last'  = { param($s) if ($murder -and $murder.LastCompletion -and $s.LastCompletion) { '{0:N3}' -f ($murder.LastCompletion / $s.LastCompletion) } else { '-' } }
    'Seeder upload / F'        = { param($s) '{0:N3}' -f $s.SeederUpOverF }
    'Received / (N*F)'         = { param($s) '{0:N4}' -f $s.ReceivedOverNF }
    'of it wasted / (N*F)'     = { param($s) '{0:N4}' -f $s.WastedOverNF }
    'First piece s (launch)'   = { param($s) '{0:N2}' -f $s.FirstPieceMax }
    'First piece s (engine)'   = { param($s) '{0:N2}' -f $s.FirstPieceFromEngineMax }
    'Engine start s'           = { param($s) '{0:N2}' -f $s.EngineStartMax }
    'Peer CPU s per GB'        = { param($s) '{0:N2}' -f $s.CpuSecondsPerGB }
    'of it in the kernel'      = { param($s) '{0:P0}' -f $s.SystemShare }
    'Peak RSS MB (peer)'       = { param($s) '{0:N0}' -f $s.PeerPeakMBMax }
    'Seeder CPU s'             = { param($s) '{0:N2}' -f $s.SeederCpu }
    'Control session CPU s'    = { param($s) if ($null -ne $s.ControlCpu) { '{0:N2}' -f $s.ControlCpu } else { '-' } }
    'Peers finished'           = { param($s) $s.Finished }
}
Write-Host ("`nN={0}  F={1:N0} B  C={2} Mbit/s  T_min=F/C={3:N2} s  ({4} CPUs, {5})" -f $Peers, $F, $RateMbit, $TMin, [Environment]::ProcessorCount, ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -replace '.*:\s*', ''))
$lines = @(('| Metric | ' + (($summaries | ForEach-Object Engine) -join ' | ') + ' |'), ('|---|' + (($summaries | ForEach-Object { '---:' }) -join '|') + '|'))
foreach ($row in $rows.GetEnumerator()) {
    $lines += "| $($row.Key) | " + (($summaries | ForEach-Object { & $row.Value $_ }) -join ' | ') + ' |'
}
$lines | Write-Host
Write-Host 'Completion: whole artifact verified, from the common start (murder: the moment the control session''s Invoke-MurderPeer -ComputerName began; the others: all peer processes launched together). First piece: the slowest peer''s first verified piece, from that start (launch) and from its engine start (after pwsh start-up and Import-Module for Murder, after Python start-up for libtorrent). Engine start: the slowest peer''s. CPU: user + system seconds of the peer hosts'' processes (lingering seeders included) per GB received. Peak RSS: the largest peer process.'
$output = Join-Path $WorkPath 'results.json'
[pscustomobject]@{ Peers = $Peers; Bytes = $F; RateMbit = $RateMbit; TMin = $TMin; StartupCpuSeconds = $startupCpu; Runs = @($runs) } | ConvertTo-Json -Depth 6 | Set-Content $output
Write-Host "Details: $output"
