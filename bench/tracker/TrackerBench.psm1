# What the tracker benchmarks share: a free port, a process's CPU time, and a background Murder
# tracker with one small registered torrent. Import after out/Murder.

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop(); $port
}

$clockTicks = [double](& getconf CLK_TCK)
function Get-CpuSeconds([int] $ProcessId) {
    # utime + stime, fields 14 and 15 of /proc/PID/stat (counted after the ')' that ends the name).
    $fields = ((Get-Content -LiteralPath "/proc/$ProcessId/stat" -Raw) -replace '^.*\)\s*', '') -split ' '
    ([double]$fields[11] + [double]$fields[12]) / $clockTicks
}

function Start-BenchTracker {
    # Starts Murder's tracker in the background on 127.0.0.1:Port and registers a 100 kB torrent
    # tagged Tag made under Work; returns the tracker and the torrent.
    param([Parameter(Mandatory)] [string] $Work, [Parameter(Mandatory)] [int] $Port, [Parameter(Mandatory)] [string] $Tag)
    $source = New-Item -ItemType Directory -Path (Join-Path $Work 'src')
    Set-Content -LiteralPath (Join-Path $source 'payload.txt') -Value ('x' * 100000)
    $tracker = Start-MurderTracker -Port $Port -BindAddress 127.0.0.1
    $torrent = New-MurderTorrent -Tag $Tag -Path $source -Tracker $tracker.Url -OutputDirectory (Join-Path $Work 'out')
    $null = $torrent | Register-MurderTorrent -Port $Port
    [pscustomobject]@{ Tracker = $tracker; Torrent = $torrent }
}

Export-ModuleMember -Function Get-FreePort, Get-CpuSeconds, Start-BenchTracker
