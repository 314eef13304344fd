# The tracker's live page and /metrics as an operator and Prometheus use them: a background tracker
# (Start-MurderTracker), a deploy whose peers report to its ledger, the page in a real browser
# (Debian's Chromium driven by npm playwright-core, tests/browser/live-page.mjs), and /metrics
# scraped over HTTP. The peers' reports are sent by the test itself, as real HTTP GETs on /report
# exactly as a peer sends them. Every tracker runs on 127.0.0.1 with its state in a temp directory.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:root = if ($env:MURDER_REPO_ROOT) { $env:MURDER_REPO_ROOT } else { Split-Path -Parent (Split-Path -Parent $PSScriptRoot) }
    $script:work = New-TestDirectory -Prefix 'murder-livepage'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:port = Get-FreeTcpPort
    $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1
    $script:base = "http://127.0.0.1:$port/"

    function New-RegisteredTorrent([string] $Tag) {
        $source = New-Item -ItemType Directory -Path (Join-Path $work "src-$Tag") -Force
        New-SampleTree -Path $source
        $torrent = New-MurderTorrent -Tag $Tag -Path $source -Tracker $tracker.Url -OutputDirectory (Join-Path $work "out-$Tag")
        $null = $torrent | Register-MurderTorrent -Port $port
        $torrent
    }

    $script:torrent = New-RegisteredTorrent 'LivePage1'
    $script:size = $torrent.Size

    # Why the browser test cannot run here, or $null.
    $script:browserMissing = $(
        if (-not $IsLinux) { 'the browser test runs Debian''s Chromium: Linux only' }
        elseif (-not (Test-Path /usr/bin/chromium)) { 'Debian''s chromium is not installed (tools/Install-TestPrerequisites.ps1 installs it)' }
        elseif (-not (Get-Command node -ErrorAction Ignore)) { 'node is not installed (tools/Install-TestPrerequisites.ps1 installs it)' }
        elseif (-not (Test-Path (Join-Path $root 'tests/browser/node_modules/playwright-core/package.json'))) { 'npm playwright-core is not in tests/browser/node_modules (tools/Install-TestPrerequisites.ps1 runs npm ci there)' }
        else { $null })

    # Runs tests/browser/live-page.mjs with a fresh Chromium profile; returns what it printed as an object.
    function Invoke-LivePage([hashtable] $Arguments) {
        $profileDir = Join-Path $work ('chromium-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $list = @((Join-Path $root 'tests/browser/live-page.mjs'), '--base', $base, '--profile', $profileDir)
        foreach ($key in $Arguments.Keys) { $list += @("--$key", [string]$Arguments[$key]) }
        $lines = & node @list 2>&1
        $json = $lines | Where-Object { $_ -is [string] -and $_.StartsWith('{') } | Select-Object -Last 1
        if (-not $json) { throw "live-page.mjs printed no result: $($lines -join "`n")" }
        $result = $json | ConvertFrom-Json
        if (-not $result.ok) { throw "live-page.mjs failed: $($result.error)" }
        $result
    }

    # A whole /metrics exposition as name{labels} => value; throws on any line that does not parse.
    function Get-Metrics {
        $response = Invoke-WebRequest -Uri "${base}metrics" -UseBasicParsing
        $response.Headers['Content-Type'] | Should -BeLike 'text/plain; version=0.0.4*'
        $samples = [ordered]@{}
        $declared = @{}
        foreach ($line in ($response.Content.TrimEnd("`n") -split "`n")) {
            if ($line -match '^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$') { $declared[$Matches[1]] = $Matches[2]; continue }
            if ($line -match '^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$') { continue }
            if ($line -notmatch '^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\[\\"n])*",?)*\})? (\S+)$') { throw "/metrics line does not parse: $line" }
            $name = $Matches[1]; $key = $Matches[1] + $Matches[2]; $text = $Matches[3]
            $family = if ($declared.ContainsKey($name)) { $name } else { $name -replace '_(bucket|sum|count)$', '' }
            if (-not $declared.ContainsKey($family)) { throw "/metrics sample before its TYPE: $line" }
            $value = 0.0
            if ($text -ne '+Inf' -and -not [double]::TryParse($text, [System.Globalization.NumberStyles]::Float, [cultureinfo]::InvariantCulture, [ref]$value)) { throw "/metrics value does not parse: $line" }
            $samples[$key] = $value
        }
        $samples
    }

    function Send-Announce([string] $PeerId, [long] $Left) {
        $url = "${base}announce?info_hash=$(ConvertTo-PercentEncoded $torrent.InfoHash)&peer_id=$PeerId&port=7000&uploaded=0&downloaded=0&left=$Left&compact=1"
        $null = Invoke-WebRequest -Uri $url -UseBasicParsing
    }
}
AfterAll {
    Stop-MurderTracker -Port $port -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'The live page''s address' {
    It 'is on Start-MurderTracker''s and Get-MurderTracker''s output, and serves the page there' {
        $tracker.PageUrl | Should -Be $base
        $status = Get-MurderTracker -Port $port | Where-Object InfoHash -eq $torrent.InfoHash
        $status.PageUrl | Should -Be "$base#$($torrent.InfoHash.ToLowerInvariant())"
        $page = Invoke-WebRequest -Uri $tracker.PageUrl -UseBasicParsing
        $page.Content | Should -Match '<title>Murder tracker</title>'
        $page.Content | Should -Match ([regex]::Escape($torrent.InfoHash.ToLowerInvariant()))
        # The default table view shows it.
        ($tracker | Format-Table | Out-String -Width 300) | Should -Match ([regex]::Escape($base))
    }

    It 'is refused under a host name a DNS-rebinding page could use' {
        foreach ($path in '', 'metrics', 'swarms') {
            $answer = Invoke-WebRequest -Uri "$base$path" -Headers @{ Host = 'rebind.attacker.example' } -UseBasicParsing -SkipHttpErrorCheck
            $answer.StatusCode | Should -Be 403
        }
    }
}

Describe 'The live page in Chromium' {
    It 'follows a deploy without a reload: hosts move to done and a failed host shows its ErrorId' {
        if ($browserMissing) { Set-ItResult -Skipped -Because $browserMissing; return }
        $shots = Join-Path $root 'out/TestResults'
        $null = New-Item -ItemType Directory -Path $shots -Force
        $screenshot = Join-Path $shots 'live-page.png'
        $seen = Invoke-LivePage @{ scenario = 'deploy'; 'info-hash' = $torrent.InfoHash.ToLowerInvariant(); size = $size; screenshot = $screenshot; 'phone-screenshot' = (Join-Path $shots 'live-page-phone.png') }
        $seen.sameDocument | Should -BeTrue -Because 'the page must update itself, not reload'
        $seen.doneCount | Should -Be 2
        $seen.failedCount | Should -Be 1
        $seen.seedingCount | Should -Be 1
        $seen.succeeded | Should -Be '3'
        $seen.failureRow | Should -Match 'web3 DiskFull No space left on /srv/www'
        $seen.torrentRow | Should -Match 'LivePage1'
        $seen.hostRows | Should -Be 4
        $seen.rateShown | Should -Not -Be '0 B/s'
        $seen.phoneOverflow | Should -BeLessOrEqual 0 -Because 'at a phone''s width the page must not scroll sideways'
        $seen.phoneStagesVisible | Should -BeTrue
        @($seen.consoleErrors).Count | Should -Be 0 -Because "the page logged: $($seen.consoleErrors -join '; ')"
        @($seen.foreignRequests).Count | Should -Be 0 -Because 'the page must fetch nothing but the tracker'
        (Get-Item -LiteralPath $screenshot).Length | Should -BeGreaterThan 10000
        # The README's screenshot is this one: MURDER_UPDATE_SCREENSHOT=1 refreshes docs/images.
        if ($env:MURDER_UPDATE_SCREENSHOT -eq '1') { Copy-Item -LiteralPath $screenshot -Destination (Join-Path $root 'docs/images/live-page.png') -Force }
    }
}

Describe '/metrics' {
    BeforeAll {
        $script:metricsTorrent = New-RegisteredTorrent 'LivePage2'
        $script:labels = "info_hash=""$($metricsTorrent.InfoHash.ToLowerInvariant())"",name=""LivePage2.tgz"""
        function Send-Report([string] $HostName, [string] $Stage, [long] $Downloaded, [long] $Left, [string] $Extra = '') {
            $url = "${base}report?info_hash=$(ConvertTo-PercentEncoded $metricsTorrent.InfoHash)&peer_id=-MP0001-$($HostName.PadLeft(12, '0'))&host=$HostName&stage=$Stage&downloaded=$Downloaded&left=$Left&rate=1000$Extra"
            $answer = [System.Text.Encoding]::Latin1.GetString((Invoke-WebRequest -Uri $url -UseBasicParsing).RawContentStream.ToArray())
            $answer | Should -Not -Match 'failure reason'
        }
    }

    It 'parses line by line, its counters only grow, and its values match a known deploy' {
        $before = Get-Metrics
        $size = $metricsTorrent.Size
        foreach ($peer in 1..3) {
            $url = "${base}announce?info_hash=$(ConvertTo-PercentEncoded $metricsTorrent.InfoHash)&peer_id=-MA0001-$("$peer".PadLeft(12, '0'))&port=$(7000 + $peer)&uploaded=0&downloaded=0&left=$(if ($peer -eq 1) { 0 } else { $size })&compact=1"
            $null = Invoke-WebRequest -Uri $url -UseBasicParsing
        }
        Send-Report 'm1' 'downloading' 1000 ($size - 1000)
        Send-Report 'm1' 'done' $size 0
        Send-Report 'm2' 'seeding' $size 0
        Send-Report 'm3' 'downloading' 5000 ($size - 5000)
        Send-Report 'm4' 'failed' 0 $size '&error_id=DiskFull&message=full'
        $after = Get-Metrics

        foreach ($key in $before.Keys) {
            if ($key -match '_total\{|_total$|_bucket\{|_count\{|_sum\{') {
                $after[$key] | Should -BeGreaterOrEqual $before[$key] -Because "$key is a counter"
            }
        }
        $after['murder_tracker_announces_total{result="ok"}'] - $before['murder_tracker_announces_total{result="ok"}'] | Should -Be 3
        $after['murder_tracker_reports_total{result="ok"}'] - $before['murder_tracker_reports_total{result="ok"}'] | Should -Be 5
        $after["murder_torrent_peers{$labels}"] | Should -Be 3
        $after["murder_torrent_seeders{$labels}"] | Should -Be 1
        $after["murder_deploy_hosts{$labels,stage=""done""}"] | Should -Be 1
        $after["murder_deploy_hosts{$labels,stage=""seeding""}"] | Should -Be 1
        $after["murder_deploy_hosts{$labels,stage=""downloading""}"] | Should -Be 1
        $after["murder_deploy_hosts{$labels,stage=""failed""}"] | Should -Be 1
        $after["murder_deploy_downloaded_bytes{$labels}"] | Should -Be (2 * $size + 5000)
        $after["murder_deploy_size_bytes{$labels}"] | Should -Be $size
        $after['murder_ledger_hosts'] | Should -BeGreaterOrEqual 4
        $after['murder_tracker_request_duration_seconds_count{route="report"}'] - $before['murder_tracker_request_duration_seconds_count{route="report"}'] | Should -Be 5
        $after['process_resident_memory_bytes'] | Should -BeGreaterThan 1MB
        $after['process_cpu_seconds_total'] | Should -BeGreaterThan 0
    }
}

Describe 'A 10,000-host ledger in Chromium' {
    It 'loads every host and shows an update, without one DOM row per host' {
        if ($browserMissing) { Set-ItResult -Skipped -Because $browserMissing; return }
        if (-not (Get-Command wrk -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'wrk (the tracker benchmark''s load generator) is not installed; tools/Install-TestPrerequisites.ps1 installs it'; return }
        $large = New-RegisteredTorrent 'LivePageLarge'
        $hash = $large.InfoHash.ToLowerInvariant()
        # Filled by the tracker benchmark's load generator: bench/tracker/report.lua, one report per host in turn.
        $env:MURDER_BENCH_INFOHASH = ConvertTo-PercentEncoded $hash
        $env:MURDER_BENCH_HOSTS = 10000
        $env:MURDER_BENCH_SIZE = $large.Size
        try {
            $hosts = 0
            for ($fill = 0; $fill -lt 10 -and $hosts -lt 10000; $fill++) {
                $null = & wrk -t1 -c16 -d3s -s (Join-Path $root 'bench/tracker/report.lua') "http://127.0.0.1:$port"
                $hosts = ((Invoke-RestMethod "${base}deploy").deploys | Where-Object infoHash -eq $hash).hosts
            }
        }
        finally { Remove-Item Env:MURDER_BENCH_INFOHASH, Env:MURDER_BENCH_HOSTS, Env:MURDER_BENCH_SIZE -ErrorAction Ignore }
        $hosts | Should -Be 10000

        $shots = Join-Path $root 'out/TestResults'
        $null = New-Item -ItemType Directory -Path $shots -Force
        $seen = Invoke-LivePage @{ scenario = 'large'; 'info-hash' = $hash; hosts = 10000; victim = 'host-00042'; screenshot = (Join-Path $shots 'live-page-10000.png') }
        # Figures, not assertions (the machine is shared): the issue's goal is under 1 s for each.
        Write-Host "10,000 hosts: page loaded in $($seen.loadMs) ms (first poll $($seen.firstPollMs) ms); a report shown $($seen.updateMs) ms after it was sent (poll $($seen.updatePollMs) ms, render $($seen.updateRenderMs) ms, polling every 500 ms); next page of hosts in $($seen.pageClickMs) ms; $($seen.tableRows) table rows, $($seen.domNodes) elements."
        $seen.tableRows | Should -BeLessThan 400 -Because 'the page must never draw one row per host'
        @($seen.consoleErrors).Count | Should -Be 0 -Because "the page logged: $($seen.consoleErrors -join '; ')"
        @($seen.foreignRequests).Count | Should -Be 0
    }
}
