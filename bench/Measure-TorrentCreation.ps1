#Requires -Version 7.4
<#
.SYNOPSIS
    Times New-MurderTorrent (pack + compress + hash) on a generated directory of mixed files.
.DESCRIPTION
    Generates a directory of -SizeMB MiB (default 1 GiB): many small text-like files, some medium and
    a few large ones; about 60% compressible text and 40% random bytes (binaries, images). Reads it
    once so every run starts from the page cache, then runs New-MurderTorrent at each compression
    level and, in the same run for reference, GNU `tar -czf` (what Murder ran). Prints MB/s of input
    (1 MB = 10^6 bytes) and each rate's ratio to tar -czf's.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./bench/Measure-TorrentCreation.ps1
#>
param(
    [int] $SizeMB = 1024,
    [string] $WorkPath = (Join-Path ([System.IO.Path]::GetTempPath()) 'murder-bench-pack'),
    [string[]] $Level = @('NoCompression', 'Fastest', 'Optimal'),
    [switch] $SkipTar,
    [switch] $Keep
)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $root 'out/Murder/Murder.psd1') -Force

$source = Join-Path $WorkPath 'src'
$out = Join-Path $WorkPath 'out'
$target = [long]$SizeMB * 1MB

function New-MixedTree {
    Remove-Item -LiteralPath $WorkPath -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Path $source -Force
    $random = [System.Random]::new(2010)
    $words = 'deploy', 'server', 'release', 'torrent', 'murder', 'piece', 'config', 'return', 'public', 'static', 'string', 'import', 'function', 'value', 'error', 'request', 'response', 'index', 'header', 'length'
    $builder = [System.Text.StringBuilder]::new(8MB)
    while ($builder.Length -lt 8MB) {
        $null = $builder.Append($words[$random.Next($words.Count)]).Append($(if ($random.Next(12) -eq 0) { "`n" } else { ' ' })).Append($random.Next(100000))
    }
    $corpus = [System.Text.Encoding]::ASCII.GetBytes($builder.ToString())
    $noise = [byte[]]::new(8MB)
    $written = [long]0; $index = 0
    # (share of bytes, min size, max size): small, medium, large files.
    $plan = @(@(0.25, 4KB, 96KB), @(0.35, 512KB, 8MB), @(0.40, 64MB, 160MB))
    foreach ($band in $plan) {
        $bandBytes = [long]($target * $band[0]); $bandWritten = [long]0
        while ($bandBytes - $bandWritten -gt 0) {
            $size = [long][math]::Min($bandBytes - $bandWritten, $random.NextInt64($band[1], $band[2]))
            $dir = Join-Path $source ('d{0:D3}' -f ($index % 97))
            $null = [System.IO.Directory]::CreateDirectory($dir)
            $compressible = $random.NextDouble() -lt 0.6
            $stream = [System.IO.File]::Create((Join-Path $dir ("f{0:D5}.{1}" -f $index, $(if ($compressible) { 'txt' } else { 'bin' }))))
            try {
                $left = $size
                while ($left -gt 0) {
                    $chunk = [int][math]::Min($left, 8MB)
                    if ($compressible) {
                        $stream.Write($corpus, $random.Next(0, $corpus.Length - $chunk + 1), $chunk)
                    } else {
                        $random.NextBytes($noise); $stream.Write($noise, 0, $chunk)
                    }
                    $left -= $chunk
                }
            } finally { $stream.Dispose() }
            $bandWritten += $size; $index++
        }
        $written += $bandWritten
    }
    [pscustomobject]@{ Files = $index; Bytes = $written }
}

Write-Host "Generating $SizeMB MiB of mixed files in $source ..."
$tree = New-MixedTree
# Warm the page cache so every run reads the same way.
Get-ChildItem $source -Recurse -File | ForEach-Object { $null = [System.IO.File]::ReadAllBytes($_.FullName).Length }

$rows = [System.Collections.Generic.List[object]]::new()
if (-not $SkipTar -and (Get-Command tar -ErrorAction Ignore)) {
    $tgz = Join-Path $WorkPath 'gnu.tgz'
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    & tar -czf $tgz --exclude '.git*' -C $source .
    $clock.Stop()
    $rows.Add([pscustomobject]@{ Tool = 'GNU tar -czf (Murder)'; Level = 'gzip -6'; Seconds = $clock.Elapsed.TotalSeconds; OutputMB = (Get-Item $tgz).Length / 1e6 })
    Remove-Item $tgz
}
foreach ($name in $Level) {
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $result = New-MurderTorrent -Tag "bench-$name" -Path $source -Tracker 127.0.0.1:8998 -OutputDirectory $out -CompressionLevel $name -Force
    $clock.Stop()
    $rows.Add([pscustomobject]@{ Tool = 'New-MurderTorrent'; Level = $name; Seconds = $clock.Elapsed.TotalSeconds; OutputMB = $result.Size / 1e6 })
    Remove-Item $result.ArtifactPath, $result.TorrentPath
}

$baseline = $rows | Where-Object Tool -Like 'GNU*' | Select-Object -First 1
$cpu = (Get-Content /proc/cpuinfo -ErrorAction Ignore | Select-String '^model name' | Select-Object -First 1) -replace '^model name\s*:\s*', ''
Write-Host ''
Write-Host ("Input: {0:N0} bytes in {1:N0} files; {2} cores; {3}" -f $tree.Bytes, $tree.Files, [Environment]::ProcessorCount, $cpu)
$rows | ForEach-Object {
    [pscustomobject]@{
        Tool        = $_.Tool
        Level       = $_.Level
        Seconds     = [math]::Round($_.Seconds, 2)
        'MB/s'      = [math]::Round($tree.Bytes / 1e6 / $_.Seconds, 0)
        'Output MB' = [math]::Round($_.OutputMB, 0)
        'x tar'     = if ($baseline) { [math]::Round($baseline.Seconds / $_.Seconds, 2) } else { $null }
    }
} | Format-Table -AutoSize | Out-String | Write-Host
if (-not $Keep) { Remove-Item -LiteralPath $WorkPath -Recurse -Force -ErrorAction Ignore }
