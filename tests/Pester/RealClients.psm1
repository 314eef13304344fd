# Real BitTorrent clients for interop tests: libtorrent (python3-libtorrent), aria2c and
# transmission-cli, each as a seeder or a peer, on 127.0.0.1 only. Every client is told to find peers
# through the tracker alone: DHT, local peer discovery, peer exchange, UPnP and NAT-PMP are off, so
# no test traffic leaves this machine.

$script:processes = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()

$libtorrentScript = @'
import sys, time
import libtorrent as lt
torrent, save_path, port, mode, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
session = lt.session({
    'listen_interfaces': '127.0.0.1:%d' % port,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'allow_multiple_connections_per_ip': True,
})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = save_path
handle = session.add_torrent(params)
deadline = time.time() + seconds
while time.time() < deadline:
    status = handle.status()
    if mode == 'peer' and status.is_seeding:
        print('done and done', flush=True)
        sys.exit(0)
    time.sleep(0.2)
status = handle.status()
print('stopped: state %s progress %.3f peers %d' % (status.state, status.progress, status.num_peers), flush=True)
sys.exit(0 if mode == 'seed' else 1)
'@

function Get-ClientWorkPath([string] $Root, [string] $Name) {
    $path = Join-Path $Root $Name
    $null = New-Item -ItemType Directory -Path $path -Force
    $path
}

function Start-ClientProcess([string] $Root, [string] $Name, [string] $FilePath, [string[]] $Arguments) {
    $process = Start-Process -FilePath $FilePath -ArgumentList $Arguments -PassThru `
        -RedirectStandardOutput (Join-Path $Root "$Name.out") -RedirectStandardError (Join-Path $Root "$Name.err")
    $script:processes.Add($process)
    [pscustomobject]@{ Name = $Name; Process = $process; Root = $Root; Output = (Join-Path $Root "$Name.out") }
}

function Test-RealClient {
    # Whether a client can run here; the reason when it cannot.
    param([ValidateSet('libtorrent', 'aria2', 'transmission')] [string] $Client)
    switch ($Client) {
        'libtorrent' {
            if (-not (Test-Path /usr/bin/python3)) { return 'python3 is missing: install Debian package python3-libtorrent' }
            & /usr/bin/python3 -c 'import libtorrent' 2>$null
            if ($LASTEXITCODE -ne 0) { return 'python3-libtorrent is missing for /usr/bin/python3: install Debian package python3-libtorrent' }
        }
        'aria2' { if (-not (Get-Command aria2c -ErrorAction Ignore)) { return 'aria2c is missing: install Debian package aria2' } }
        'transmission' { if (-not (Get-Command transmission-cli -ErrorAction Ignore)) { return 'transmission-cli is missing: install Debian package transmission-cli' } }
    }
    $null
}

function Start-RealClient {
    <#
    .SYNOPSIS
        Starts a client as 'seed' (DataPath holds the complete file) or 'peer' (downloads into DataPath).
        Returns an object with Name, Process, Output and, for transmission, the Marker file its finish
        script creates when the download completes.
    #>
    param(
        [Parameter(Mandatory)] [ValidateSet('libtorrent', 'aria2', 'transmission')] [string] $Client,
        [Parameter(Mandatory)] [ValidateSet('seed', 'peer')] [string] $Mode,
        [Parameter(Mandatory)] [string] $TorrentPath,
        [Parameter(Mandatory)] [string] $DataPath,
        [Parameter(Mandatory)] [string] $WorkPath,
        [string] $Name = "$Client-$Mode",
        [int] $Seconds = 240
    )
    $null = New-Item -ItemType Directory -Path $DataPath -Force
    $port = Get-FreeTcpPort
    switch ($Client) {
        'libtorrent' {
            $script = Join-Path $WorkPath 'lt_client.py'
            if (-not (Test-Path $script)) { Set-Content -LiteralPath $script -Value $libtorrentScript }
            Start-ClientProcess $WorkPath $Name /usr/bin/python3 @($script, $TorrentPath, $DataPath, $port, $Mode, $Seconds)
        }
        'aria2' {
            $arguments = @("--dir=$DataPath", '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false',
                '--enable-peer-exchange=false', '--disable-ipv6=true', "--listen-port=$port", '--console-log-level=warn',
                '--summary-interval=0', '--follow-torrent=false', '--check-integrity=true', "--bt-stop-timeout=$Seconds")
            $arguments += if ($Mode -eq 'seed') { @('--seed-ratio=0.0', "--seed-time=$([math]::Ceiling($Seconds / 60))") } else { @('--seed-time=0') }
            Start-ClientProcess $WorkPath $Name (Get-Command aria2c).Source ($arguments + $TorrentPath)
        }
        'transmission' {
            $config = Get-ClientWorkPath $WorkPath "$Name-config"
            # transmission-cli has no switches for these: its settings file turns them off.
            @{
                'dht-enabled' = $false; 'lpd-enabled' = $false; 'pex-enabled' = $false
                'port-forwarding-enabled' = $false; 'peer-port' = $port
                # A seeder must keep seeding: no ratio or idle limits that stop the torrent.
                'ratio-limit-enabled' = $false; 'idle-seeding-limit-enabled' = $false
} | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $config 'settings.json')
            $marker = Join-Path $WorkPath "$Name.done"
            $finish = Join-Path $WorkPath "$Name-finish.sh"
            Set-Content -LiteralPath $finish -Value "#!/bin/sh`ntouch '$marker'`n"
            & chmod +x $finish
            $arguments = @('-w', $DataPath, '-g', $config, '-p', $port, '-M', '-f', $finish)
            # No -v for a seeder: transmission-cli verifies existing data when it adds the torrent, and
            # a second, forced verification races its main loop, which then exits 0 at start-up.
            $started = Start-ClientProcess $WorkPath $Name (Get-Command transmission-cli).Source ($arguments + $TorrentPath)
            $started | Add-Member -NotePropertyName Marker -NotePropertyValue $marker -PassThru
        }
    }
}

function Wait-RealClient {
    # Waits until a peer has the complete file (transmission keeps running: its finish marker counts).
    param([Parameter(Mandatory)] $Client, [int] $TimeoutSeconds = 240)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($Client.PSObject.Properties['Marker'] -and (Test-Path -LiteralPath $Client.Marker)) { return $true }
        if ($Client.Process.HasExited) { return $Client.Process.ExitCode -eq 0 -and -not $Client.PSObject.Properties['Marker'] }
        Start-Sleep -Milliseconds 200
    }
    $false
}

function Start-RealSeeder {
    <#
    .SYNOPSIS
        Starts a client as a seeder and waits until the tracker lists it. transmission-cli 3.00 now
        and then exits during start-up here; that is retried once, and said so.
    #>
    param(
        [Parameter(Mandatory)] [string] $Client, [Parameter(Mandatory)] [string] $TorrentPath,
        [Parameter(Mandatory)] [string] $DataPath, [Parameter(Mandatory)] [string] $WorkPath,
        [Parameter(Mandatory)] [int] $TrackerPort, [Parameter(Mandatory)] [string] $InfoHash, [string] $Name = "$Client-seeder"
    )
    foreach ($attempt in 1, 2) {
        $seeder = Start-RealClient -Client $Client -Mode seed -TorrentPath $TorrentPath -DataPath $DataPath -WorkPath $WorkPath -Name "$Name-$attempt"
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ([DateTime]::UtcNow -lt $deadline -and -not $seeder.Process.HasExited) {
            if (@(Get-MurderTracker -Port $TrackerPort | Where-Object { $_.InfoHash -eq $InfoHash -and $_.Seeders -ge 1 }).Count -gt 0) { return $seeder }
            Start-Sleep -Milliseconds 250
        }
        Write-Host "    $Client seeder did not register with the tracker (attempt $attempt, exited: $($seeder.Process.HasExited)); $(if ($attempt -eq 1) { 'starting it once more' } else { 'giving up' })"
    }
    $log = (Get-Content -LiteralPath $seeder.Output -Raw -ErrorAction Ignore) + (Get-Content -LiteralPath ($seeder.Output -replace '\.out$', '.err') -Raw -ErrorAction Ignore)
    throw "The $Client seeder never registered with the tracker (exit code $(if ($seeder.Process.HasExited) { $seeder.Process.ExitCode } else { 'none: still running' })). Its output: $(($log -split "`n" | Where-Object { $_ -notmatch 'Progress|Seeding,' } | Select-Object -Last 15) -join ' | ')"
}

function Stop-RealClients {
    foreach ($process in $script:processes) {
        try {
            if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(5000) }
        }
        catch [System.InvalidOperationException] { }
        $process.Dispose()
    }
    $script:processes.Clear()
}

Export-ModuleMember -Function Test-RealClient, Start-RealClient, Start-RealSeeder, Wait-RealClient, Stop-RealClients
