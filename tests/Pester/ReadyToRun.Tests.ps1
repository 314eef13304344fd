# build.ps1 precompiles the module's assemblies (ReadyToRun) for the runtime of the PowerShell that
# builds it, on its OS and architecture: a fresh session otherwise JIT-compiles Murder, SSH.NET and
# BouncyCastle before it reaches its first host. Other runtimes use the IL every image keeps.
BeforeDiscovery {
    $sdkMajor = [int](& dotnet --version).Split('.')[0]
    $script:skipReason = if ($sdkMajor -lt [Environment]::Version.Major) {
        "the .NET SDK $sdkMajor cannot target this PowerShell's runtime (.NET $([Environment]::Version.Major)), so build.ps1 leaves the assemblies IL only"
    }
    if ($skipReason) { Write-Host "    ReadyToRun tests skipped: $skipReason" }
}
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:bin = Join-Path (Split-Path $env:MURDER_MODULE_PATH) 'bin'
    $script:work = New-TestDirectory -Prefix 'murder-r2r'
    $script:source = New-Item -ItemType Directory -Path (Join-Path $work 'src')
    Set-Content -LiteralPath (Join-Path $source 'app.txt') -Value 'release'

    # The ReadyToRun header of an image (format version and the PE machine, which carries the OS), or $null for IL only.
    function Get-ReadyToRunHeader([string] $Path) {
        $stream = [System.IO.File]::OpenRead($Path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream, [System.Reflection.PortableExecutable.PEStreamOptions]::LeaveOpen)
            $directory = $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory
            $offset = 0
            if ($directory.Size -eq 0 -or -not $pe.PEHeaders.TryGetDirectoryOffset($directory, [ref] $offset)) { return $null }
            $reader = [System.IO.BinaryReader]::new($stream)
            $stream.Position = $offset
            $signature = $reader.ReadUInt32()
            if ($signature -ne 0x00525452) { return $null }   # 'RTR'
            [pscustomobject]@{ Major = $reader.ReadUInt16(); Minor = $reader.ReadUInt16(); Machine = [int] $pe.PEHeaders.CoffHeader.Machine }
        }
        finally { $stream.Dispose() }
    }

    # Makes a torrent in a fresh PowerShell, with the JIT's list of the methods it compiled (on its
    # standard output: DOTNET_JitStdOutFile made the process crash at exit now and then).
    function Invoke-FreshTorrent([string] $Name, [hashtable] $Environment = @{}) {
        $saved = @{}
        $all = @{ DOTNET_JitDisasmSummary = '1' } + $Environment
        foreach ($key in $all.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $all[$key]) }
        try {
            $script = "Import-Module '$env:MURDER_MODULE_PATH'; (New-MurderTorrent -Tag rel -Path '$source' -Tracker 127.0.0.1:1 -OutputDirectory '$(Join-Path $work "$Name-out")' -WarningAction Ignore) | ForEach-Object { `$_.InfoHash, `$_.FileCount, `$_.SourceBytes -join ' ' } | Set-Content -LiteralPath '$(Join-Path $work "$Name.txt")'"
            $pwsh = @(Get-PwshCommand)
            $output = @(& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" })
            $LASTEXITCODE | Should -Be 0 -Because "the fresh session said: $($output | Where-Object { $_ -notmatch 'JIT compiled' } | Select-Object -Last 5)"
        }
        finally {
            foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
        }
        [pscustomobject]@{
            # info-hash, files and bytes archived (in a file: the JIT's lines share standard output, even a line)
            Torrent = "$(Get-Content -LiteralPath (Join-Path $work "$Name.txt") -ErrorAction Ignore)".Trim()
            # Tier 0 is the JIT's first compilation of a method: none means the image's code ran.
            Jitted  = @($output | Where-Object { $_ -match 'JIT compiled (Murder\.[^\[]*?):.*\[(Instrumented )?Tier0' } | ForEach-Object { $Matches[1] })
        }
    }
}
AfterAll {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

Describe 'Precompiled assemblies' -Skip:([bool] $skipReason) {
    It 'are in this runtime''s ReadyToRun format for this OS and architecture: <_>' -ForEach @('Murder.Core.dll', 'Murder.Cmdlets.dll', 'Renci.SshNet.dll', 'BouncyCastle.Cryptography.dll') {
        # The runtime's own System.Private.CoreLib is precompiled in the format this runtime accepts.
        $runtime = Get-ReadyToRunHeader ([object].Assembly.Location)
        $image = Get-ReadyToRunHeader (Join-Path $bin $_)
        $image | Should -Not -BeNullOrEmpty -Because "$_ should carry precompiled code"
        $image.Major | Should -Be $runtime.Major
        $image.Machine | Should -Be $runtime.Machine
    }

    It 'spare a fresh session JIT-compiling Murder, and keep their IL: with precompiled code refused, the same torrent comes out' {
        $precompiled = Invoke-FreshTorrent 'on'
        $refused = Invoke-FreshTorrent 'off' @{ DOTNET_ReadyToRun = '0' }
        $refused.Jitted.Count | Should -BeGreaterThan 50
        # A few methods the compiler leaves to the JIT (source-generated JSON metadata over the
        # framework's generics) may still be compiled, depending on what the session touches.
        $precompiled.Jitted.Count | Should -BeLessThan ($refused.Jitted.Count / 10) -Because "precompiled, the session JIT-compiled $(@($precompiled.Jitted | Select-Object -Unique) -join ', ')"
        # The same release directory both times: the same files and bytes archived.
        $refused.Torrent | Should -Match '^[0-9a-f]{40} 1 8$'
        $precompiled.Torrent | Should -Match '^[0-9a-f]{40} 1 8$'
        $refused.Torrent.Split(' ')[1..2] | Should -Be $precompiled.Torrent.Split(' ')[1..2]
    }
}
