# Real BitTorrent clients through Murder's tracker: a libtorrent seeder, and aria2c, transmission-cli
# and libtorrent peers that each download the artifact New-MurderTorrent made, all on 127.0.0.1.
# The tracker is the only way they find each other (no DHT, no local discovery, no PEX).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-interop'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:processes = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    $script:python = Get-DebianPython
    $script:hasLibtorrent = Test-PythonLibtorrent

    # A libtorrent client: 'seed' runs until killed; 'peer' prints 'done and done' once it has the whole torrent, then seeds until killed.
    $script:clientScript = Join-Path $work 'lt_client.py'
    Set-Content -LiteralPath $clientScript -Value @'
import sys, time
import libtorrent as lt
torrent, save_path, port, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
session = lt.session({
    'listen_interfaces': '127.0.0.1:%d' % port,
    'min_announce_interval': 1,
    'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'allow_multiple_connections_per_ip': True,
})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = save_path
handle = session.add_torrent(params)
deadline = time.time() + 240
next_announce = 0
done = False
while time.time() < deadline:
    status = handle.status()
    # transmission refuses to dial 127.0.0.1 peers (it treats loopback as martian), so the seeder
    # must learn of it from the tracker and dial it: announce often, as Murder's 15 s would.
    if mode == 'seed' and time.time() >= next_announce:
        handle.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        next_announce = time.time() + 2
    if mode == 'peer' and status.is_seeding and not done:
        # Like Murder's peers: report, then linger as a seeder (and tell the tracker) until killed.
        print('done and done', flush=True)
        done = True
    time.sleep(0.2)
if not done:
    print('gave up: state %s progress %.3f' % (handle.status().state, handle.status().progress), flush=True)
    sys.exit(1)
'@

    function Start-Client([string] $Name, [string] $FilePath, [string[]] $Arguments) {
        $process = Start-Process -FilePath $FilePath -ArgumentList $Arguments -PassThru `
            -RedirectStandardOutput (Join-Path $work "$Name.out") -RedirectStandardError (Join-Path $work "$Name.err")
        $processes.Add($process)
        $process
    }

    $script:payload = Join-Path $work 'payload.bin'
    $bytes = [byte[]]::new(3MB)
    [System.Random]::new(7).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes($payload, $bytes)

    $script:port = Get-FreeTcpPort
    $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1 -AnnounceInterval 2
    $script:seedDir = Join-Path $work 'seed'
    $script:torrent = New-MurderTorrent -Tag Interop2 -Path $payload -Tracker $tracker.Url -OutputDirectory $seedDir -PieceLength 65536
    $null = $torrent | Register-MurderTorrent -Port $port
    $script:expectedHash = (Get-FileHash -LiteralPath $torrent.ArtifactPath -Algorithm SHA256).Hash
}
AfterAll {
    foreach ($process in $processes) {
        if (-not $process.HasExited) { $process.Kill($true); $null = $process.WaitForExit(5000) }
        $process.Dispose()
    }
    Stop-MurderTracker -Port $port -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Real clients swarm through Murder''s tracker' -Tag Interop {
    BeforeAll {
        $script:seeding = $false
        if ($hasLibtorrent) {
            $null = Start-Client 'seeder' $python @($clientScript, $torrent.TorrentPath, $seedDir, (Get-FreeTcpPort), 'seed')
            Wait-Until { @(Get-MurderTracker -Port $port | Where-Object Seeders -EQ 1).Count -eq 1 } -TimeoutSeconds 60 -Because 'the libtorrent seeder to announce'
            $script:seeding = $true
        }

        # All peers start together; each is checked in its own test.
        $script:peers = @{}
        if ($seeding -and (Get-Command aria2c -ErrorAction Ignore)) {
            $dir = New-Item -ItemType Directory -Path (Join-Path $work 'aria2') -Force
            $peers.aria2 = @{ Dir = $dir.FullName; Process = Start-Client 'aria2' (Get-Command aria2c).Source @(
                    "--dir=$($dir.FullName)", '--seed-time=0', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false',
                    '--enable-peer-exchange=false', "--listen-port=$(Get-FreeTcpPort)", '--bt-stop-timeout=240', '--console-log-level=warn',
                    '--summary-interval=0', '--follow-torrent=false', $torrent.TorrentPath) }
        }
        if ($seeding -and (Get-Command transmission-cli -ErrorAction Ignore)) {
            $dir = New-Item -ItemType Directory -Path (Join-Path $work 'transmission') -Force
            $marker = Join-Path $work 'transmission.done'
            $finish = Join-Path $work 'transmission-finish.sh'
            Set-Content -LiteralPath $finish -Value "#!/bin/sh`ntouch '$marker'`n"
            & chmod +x $finish
            $config = New-Item -ItemType Directory -Path (Join-Path $work 'transmission-config') -Force
            $peers.transmission = @{ Dir = $dir.FullName; Marker = $marker; Process = Start-Client 'transmission' (Get-Command transmission-cli).Source @(
                    '-w', $dir.FullName, '-g', $config.FullName, '-p', (Get-FreeTcpPort), '-M', '-f', $finish, $torrent.TorrentPath) }
        }
        if ($seeding) {
            $dir = New-Item -ItemType Directory -Path (Join-Path $work 'libtorrent') -Force
            $peers.libtorrent = @{ Dir = $dir.FullName; Process = Start-Client 'libtorrent' $python @($clientScript, $torrent.TorrentPath, $dir.FullName, (Get-FreeTcpPort), 'peer') }
        }
    }

    It 'aria2c downloads the artifact' {
        if (-not $seeding) { Set-ItResult -Skipped -Because 'python3-libtorrent (the seeder) is missing for /usr/bin/python3: install Debian package python3-libtorrent'; return }
        if (-not $peers.ContainsKey('aria2')) { Set-ItResult -Skipped -Because 'aria2c is missing: install Debian package aria2'; return }
        $peer = $peers.aria2
        Wait-Until { $peer.Process.HasExited } -TimeoutSeconds 240 -Because 'aria2c to finish'
        $peer.Process.ExitCode | Should -Be 0 -Because (Get-Content -LiteralPath (Join-Path $work 'aria2.out') -Raw)
        (Get-FileHash -LiteralPath (Join-Path $peer.Dir 'Interop2.tgz') -Algorithm SHA256).Hash | Should -Be $expectedHash
    }

    It 'transmission-cli downloads the artifact' {
        if (-not $seeding) { Set-ItResult -Skipped -Because 'python3-libtorrent (the seeder) is missing for /usr/bin/python3: install Debian package python3-libtorrent'; return }
        if (-not $peers.ContainsKey('transmission')) { Set-ItResult -Skipped -Because 'transmission-cli is missing: install Debian package transmission-cli'; return }
        $peer = $peers.transmission
        # transmission-cli keeps seeding; its finish script marks completion.
        Wait-Until { (Test-Path -LiteralPath $peer.Marker) -or $peer.Process.HasExited } -TimeoutSeconds 240 -Because 'transmission-cli to finish'
        Test-Path -LiteralPath $peer.Marker | Should -BeTrue -Because (Get-Content -LiteralPath (Join-Path $work 'transmission.out') -Raw)
        (Get-FileHash -LiteralPath (Join-Path $peer.Dir 'Interop2.tgz') -Algorithm SHA256).Hash | Should -Be $expectedHash
    }

    It 'libtorrent downloads the artifact' {
        if (-not $seeding) { Set-ItResult -Skipped -Because 'python3-libtorrent is missing for /usr/bin/python3: install Debian package python3-libtorrent'; return }
        $peer = $peers.libtorrent
        $log = Join-Path $work 'libtorrent.out'
        Wait-Until { ((Get-Content -LiteralPath $log -Raw -ErrorAction Ignore) -match 'done and done') -or $peer.Process.HasExited } -TimeoutSeconds 240 -Because 'the libtorrent peer to finish'
        Get-Content -LiteralPath $log -Raw | Should -Match 'done and done'
        (Get-FileHash -LiteralPath (Join-Path $peer.Dir 'Interop2.tgz') -Algorithm SHA256).Hash | Should -Be $expectedHash
    }

    It 'the tracker counted every completed download' {
        if (-not $seeding -or $peers.Count -eq 0) { Set-ItResult -Skipped -Because 'no clients ran (see the skipped tests above)'; return }
        Wait-Until { (Get-MurderTracker -Port $port).Completed -ge $peers.Count } -TimeoutSeconds 60 -Because 'every peer to announce completed'
        (Get-MurderTracker -Port $port).Completed | Should -BeGreaterOrEqual $peers.Count
    }
}
