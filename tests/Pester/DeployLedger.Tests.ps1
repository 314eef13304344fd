# The deploy ledger as peers and readers reach it over HTTP: a background tracker
# (Start-MurderTracker) takes reports at /report, serves them at /deploy, refuses what it must,
# and still has them after Stop-MurderTracker and a new Start-MurderTracker. Everything runs on
# 127.0.0.1 with its state in a temp directory.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:work = New-TestDirectory -Prefix 'murder-ledger'
    $script:savedState = $env:MURDER_STATE_DIR
    $env:MURDER_STATE_DIR = Join-Path $work 'state'
    $script:port = Get-FreeTcpPort
    $source = New-Item -ItemType Directory -Path (Join-Path $work 'src') -Force
    Set-Content -LiteralPath (Join-Path $source 'index.html') -Value '<h1>release</h1>'
    $script:torrent = New-MurderTorrent -Tag LedgerTest1 -Path $source -Tracker "127.0.0.1:$port" -OutputDirectory (Join-Path $work 'out')
    $script:hash = $torrent.InfoHash

    function Send-Report([string] $InfoHash, [string] $HostName, [string] $Stage, [long] $Downloaded = 0, [long] $Left = 100, [string] $Extra = '') {
        $url = "http://127.0.0.1:$port/report?info_hash=$(ConvertTo-PercentEncoded $InfoHash)&peer_id=-PS0001-000000000001" +
            "&host=$([uri]::EscapeDataString($HostName))&stage=$Stage&downloaded=$Downloaded&left=$Left&rate=0$Extra"
        [System.Text.Encoding]::Latin1.GetString((Invoke-WebRequest -Uri $url -UseBasicParsing).RawContentStream.ToArray())
    }

    function Read-Ledger([string] $Query) {
        Invoke-RestMethod -Uri "http://127.0.0.1:$port/deploy?$Query"
    }
}
AfterAll {
    Stop-MurderTracker -Port $port -WarningAction SilentlyContinue -ErrorAction Continue
    $env:MURDER_STATE_DIR = $savedState
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'The deploy ledger of a background tracker' -Tag Ledger {
    BeforeAll {
        $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1
        $torrent | Register-MurderTorrent -Port $port | Out-Null
    }

    It 'takes reports and reads them back as JSON' {
        Send-Report $hash 'web1' 'downloading' 40 60 | Should -Be 'd8:intervali5ee'
        Send-Report $hash 'web2' 'done' 100 0 | Should -Be 'd8:intervali5ee'
        Send-Report $hash 'web3' 'failed' 0 100 '&error_id=DiskFull&message=No%20space%20left' | Should -Be 'd8:intervali5ee'
        $ledger = Read-Ledger "info_hash=$hash"
        $ledger.tag | Should -Be 'LedgerTest1'
        $ledger.hosts | Should -Be 3
        $ledger.counts.downloading | Should -Be 1
        $ledger.counts.done | Should -Be 1
        $ledger.counts.failed | Should -Be 1
        $ledger.entries.host | Should -Be @('web1', 'web2', 'web3')
        $ledger.entries[2].errorId | Should -Be 'DiskFull'
        $ledger.entries[2].message | Should -Be 'No space left'
        $script:versionBefore = $ledger.version
        (Read-Ledger '').deploys.infoHash | Should -Be @($hash)
    }

    It 'refuses reports for a torrent it does not serve, and bad values' {
        Send-Report ('ab' * 20) 'web1' 'starting' | Should -Match '^d14:failure reason\d+:unregistered torrent: .*Register-MurderTorrent'
        Send-Report $hash 'web1' 'finished' | Should -Match '^d14:failure reason\d+:invalid stage'
        { Invoke-WebRequest -Uri "http://127.0.0.1:$port/deploy?info_hash=$('ab' * 20)" -UseBasicParsing } | Should -Throw '*404*'
    }

    It 'keeps the ledger across a stop and a new start' {
        $file = Join-Path $env:MURDER_STATE_DIR "tracker-$port/ledger/$hash.ledger"
        # Written behind within a few seconds; the stop kills the process, so the last reports must
        # be on disk first (host names and error ids are stored as they came).
        Wait-Until {
            (Test-Path -LiteralPath $file) -and [System.Text.Encoding]::Latin1.GetString([System.IO.File]::ReadAllBytes($file)) -match 'web3[\s\S]*DiskFull'
        } -TimeoutSeconds 60 -Because 'the ledger to be written'
        Stop-MurderTracker -Port $port -WarningAction SilentlyContinue
        Wait-Until { -not (Test-ProcessAlive $tracker.ProcessId) } -TimeoutSeconds 30 -Because 'the tracker to exit'

        $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1
        $ledger = Read-Ledger "info_hash=$hash"
        $ledger.entries.host | Should -Be @('web1', 'web2', 'web3')
        $ledger.counts.failed | Should -Be 1
        $ledger.version | Should -BeGreaterThan $versionBefore

        Send-Report $hash 'web1' 'done' 100 0 | Should -Be 'd8:intervali5ee'
        $newer = Read-Ledger "info_hash=$hash&since=$versionBefore"
        $newer.entries.host | Should -Be @('web1')
        $newer.counts.done | Should -Be 2
    }

    It 'saves on Stop-MurderTracker what it had not yet written behind' {
        # Progress within a stage is written behind every 2 s; the stop asks the tracker to end
        # (SIGTERM) and it saves the rest on its way out, where a kill would lose it.
        Send-Report $hash 'web5' 'downloading' 10 90 | Should -Be 'd8:intervali5ee'
        Start-Sleep -Milliseconds 600
        Send-Report $hash 'web5' 'downloading' 77 23 | Should -Be 'd8:intervali5ee'
        Stop-MurderTracker -Port $port -WarningAction SilentlyContinue
        Wait-Until { -not (Test-ProcessAlive $tracker.ProcessId) } -TimeoutSeconds 30 -Because 'the tracker to exit'

        $script:tracker = Start-MurderTracker -Port $port -BindAddress 127.0.0.1
        $entry = (Read-Ledger "info_hash=$hash").entries | Where-Object host -EQ 'web5'
        $entry.stage | Should -Be 'downloading'
        $entry.downloaded | Should -Be 77
    }

    It 'serves the ledger only under a Host name it trusts' {
        { Invoke-WebRequest -Uri "http://127.0.0.1:$port/deploy" -Headers @{ Host = 'rebound.example' } -UseBasicParsing } | Should -Throw '*403*'
    }
}

Describe 'The deploy ledger of a tracker with a swarm secret' -Tag Ledger {
    BeforeAll {
        $script:secret = ConvertTo-SecureString 'ledger secret staple' -AsPlainText -Force
        $script:keyedPort = Get-FreeTcpPort
        Start-MurderTracker -Port $keyedPort -BindAddress 127.0.0.1 -SwarmSecret $secret | Out-Null
        $script:keyed = New-MurderTorrent -Tag LedgerKeyed -Path (Join-Path $work 'src') -Tracker "127.0.0.1:$keyedPort" -OutputDirectory (Join-Path $work 'keyed') -SwarmSecret $secret
        $keyed | Register-MurderTorrent -Port $keyedPort | Out-Null
        function Send-KeyedReport([string] $BaseUrl) {
            $separator = if ($BaseUrl.Contains('?')) { '&' } else { '?' }
            $url = "$BaseUrl${separator}info_hash=$(ConvertTo-PercentEncoded $keyed.InfoHash)&host=web1&stage=starting&downloaded=0&left=100&rate=0"
            [System.Text.Encoding]::Latin1.GetString((Invoke-WebRequest -Uri $url -UseBasicParsing).RawContentStream.ToArray())
        }
    }
    AfterAll {
        Stop-MurderTracker -Port $keyedPort -WarningAction SilentlyContinue -ErrorAction Continue
    }

    It 'accepts reports only with the torrent''s key, sent as the announce URL carries it' {
        Send-KeyedReport "http://127.0.0.1:$keyedPort/report" | Should -Match 'failure reason.*swarm key'
        Send-KeyedReport "http://127.0.0.1:$keyedPort/report?murder_key=$('0' * 32)" | Should -Match 'failure reason.*swarm key'
        # The report URL is the announce URL with its last segment replaced, query kept.
        $reportUrl = $keyed.Tracker -replace '/announce(?=\?|$)', '/report'
        $reportUrl | Should -Match '/report\?murder_key='
        Send-KeyedReport $reportUrl | Should -Be 'd8:intervali5ee'
        $ledger = Invoke-RestMethod -Uri "http://127.0.0.1:$keyedPort/deploy?info_hash=$($keyed.InfoHash)"
        $ledger.entries.host | Should -Be @('web1')
        $key = ($keyed.Tracker -split 'murder_key=')[1]
        (Invoke-WebRequest -Uri "http://127.0.0.1:$keyedPort/deploy?info_hash=$($keyed.InfoHash)" -UseBasicParsing).Content | Should -Not -Match "murder_key|$key"
    }
}

Describe 'A background tracker reached by a DNS alias' -Tag Ledger {
    BeforeAll {
        $script:aliasPort = Get-FreeTcpPort
        Start-MurderTracker -Port $aliasPort -BindAddress 127.0.0.1 -AllowedHostName 'murder-tracker.dc1.example', 'murder.example' | Out-Null
        function Get-Status([string] $Path, [string] $HostName) {
            (Invoke-WebRequest -Uri "http://127.0.0.1:$aliasPort$Path" -Headers @{ Host = "${HostName}:$aliasPort" } -UseBasicParsing -SkipHttpErrorCheck).StatusCode
        }
    }
    AfterAll {
        Stop-MurderTracker -Port $aliasPort -WarningAction SilentlyContinue -ErrorAction Continue
    }

    It 'serves the ledger, the page and /metrics under every name given, and refuses others saying how to allow them' {
        foreach ($path in '/deploy', '/', '/metrics') {
            Get-Status $path 'murder-tracker.dc1.example' | Should -Be 200 -Because "$path under the first alias"
            Get-Status $path 'murder.example' | Should -Be 200 -Because "$path under the second alias"
            Get-Status $path 'rebound.example' | Should -Be 403 -Because "$path under a name not given"
        }

        $refused = Invoke-WebRequest -Uri "http://127.0.0.1:$aliasPort/deploy" -Headers @{ Host = 'rebound.example' } -UseBasicParsing -SkipHttpErrorCheck
        $refused.Content | Should -Match 'Start-MurderTracker -AllowedHostName'
    }

    It 'refuses a name that is not a DNS name, and starts nothing' {
        $badPort = Get-FreeTcpPort
        { Start-MurderTracker -Port $badPort -BindAddress 127.0.0.1 -AllowedHostName 'tracker:8998' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidHostName,Murder.Cmdlets.Commands.StartMurderTrackerCommand'
        Get-MurderTracker -Port $badPort -WarningAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
