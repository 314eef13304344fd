# The benchmark's Murder deploy as a fleet runs it: one control session runs Invoke-MurderPeer
# -ComputerName against every peer host over SSH (each host's agent is started detached and does the
# work; no PowerShell starts on the peers; the results come from the tracker's deploy ledger and the
# hosts' peer logs). Writes the moment the command began (start.json beside this script's
# result directory) and, as each host finishes, that host's result.json with the times the
# benchmark needs (Unix seconds).
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ConfigPath,
    [Parameter(Mandatory)] [string] $TorrentPath,
    # name=address,name=address,...
    [Parameter(Mandatory)] [string] $Hosts,
    # name=directory,... where each host's result.json goes
    [Parameter(Mandatory)] [string] $ResultDirectories,
    [Parameter(Mandatory)] [string] $StartPath,
    [int] $SeedSeconds = 600
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$byAddress = @{}
foreach ($pair in $Hosts -split ',') { $name, $address = $pair -split '=', 2; $byAddress[$address] = $name }
$directories = @{}
foreach ($pair in $ResultDirectories -split ',') { $name, $directory = $pair -split '=', 2; $directories[$name] = $directory }
function Unix($time) { if ($null -eq $time) { $null } else { ([DateTimeOffset]$time).ToUnixTimeMilliseconds() / 1000.0 } }

# The start is taken as Invoke-MurderPeer is called and written without a cmdlet: a first
# ConvertTo-Json | Set-Content in this session took 153 ms (JIT-compiled), counted as Murder's.
$start = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0
[System.IO.File]::WriteAllText($StartPath, '{ "startedAt": ' + $start.ToString([cultureinfo]::InvariantCulture) + ' }')
Invoke-MurderPeer -ConfigPath $ConfigPath -ComputerName @($byAddress.Keys) -Tag Bench -DestinationPath '/srv/releases' -TempPath '/srv/tmp' `
    -TorrentPath $TorrentPath -SeedSeconds $SeedSeconds -Confirm:$false -ErrorAction Continue | ForEach-Object {
    $name = $byAddress[$_.ComputerName]
    # Engine start: the host's first report to the tracker's deploy ledger (its agent running). The
    # rest from the host's peer log (under its /srv/state), whose last "Download:" line the agent
    # writes once the artifact is verified: first piece, verified, byte counts. Without that line
    # (an older agent), completion is the ledger's report of the release in place (after extraction).
    # The host may report seeding a moment before it writes that line: a few tries.
    $download = $null
    for ($try = 0; $try -lt 50 -and -not $download; $try++) {
        if ($try) { Start-Sleep -Milliseconds 100 }
        $download = Get-ChildItem -Path (Join-Path $directories[$name] 'srv/state') -Recurse -Filter '*.log' -File -ErrorAction Ignore |
            Select-String -Pattern 'Download: first piece (\S*), verified (\S*), received (\d+) bytes \((\d+) wasted, (\d+) from seeders, (\d+) from peers\)' |
            Select-Object -Last 1
    }
    $figures = if ($download) { $download.Matches[0].Groups } else { $null }
    function Figure([int] $Index, [switch] $Time) {
        if (-not $figures -or -not $figures[$Index].Value) { return $null }
        if ($Time) { Unix ([DateTimeOffset]::Parse($figures[$Index].Value, [cultureinfo]::InvariantCulture)) } else { [long] $figures[$Index].Value }
    }
    [ordered]@{
        engine        = 'murder'
        role          = 'peer'
        status        = "$($_.Status)"
        error         = $_.Error
        startedAt     = Unix $_.FirstReportUtc
        firstPieceAt  = Figure 1 -Time
        verifiedAt    = if ($figures) { Figure 2 -Time } else { Unix $_.LastReportUtc }
        inPlaceAt     = Unix $_.LastReportUtc
        received      = Figure 3
        wasted        = Figure 4
        fromSeeders   = Figure 5
        fromPeers     = Figure 6
        hostSeconds   = $_.Duration.TotalSeconds
    } | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $directories[$name] 'result.json')
}
