# The fleet's worker pool (Murder.Cmdlets.Fleet.HostWorkPool, internal to the cmdlet assembly, so
# reached here by reflection rather than from xunit): at most ThrottleLimit hosts at once, exactly
# one outcome per host, a host's exception turned into its ErrorId and message, Ctrl+C honoured
# (hosts never started end as stopped, after the rest), nothing held per host before its turn, and
# the thread-pool reserve raised while it runs. The hosts' work is C# compiled here: a script block
# cannot run on the pool's threads.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-MurderUnderTest
    $script:poolType = [Murder.Cmdlets.Fleet.MurderHostName].Assembly.GetType('Murder.Cmdlets.Fleet.HostWorkPool`1', $true).MakeGenericType([string])
    if (-not ('MurderPoolProbe' -as [type])) {
        # Murder.Core is reached by reflection too: compiling against it (built for an older runtime) only adds warnings.
        Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

public sealed class MurderPoolTaken
{
    public int Host;
    public string Outcome;
}

/// <summary>Drives a HostWorkPool of string outcomes: an error outcome reads ErrorId|Message|Target|InnerType.</summary>
public sealed class MurderPoolProbe
{
    private readonly Type _type;
    private readonly object _pool;

    public MurderPoolProbe(Type type, Type errorType, int hosts, int throttleLimit, Func<int, CancellationToken, Task<string>> work, CancellationToken cancellation)
    {
        _type = type;
        Func<int, string> name = index => "host" + index;
        Delegate failed = Delegate.CreateDelegate(
            typeof(Func<,,>).MakeGenericType(typeof(int), errorType, typeof(string)),
            typeof(MurderPoolProbe).GetMethod("Describe", BindingFlags.Static | BindingFlags.NonPublic).MakeGenericMethod(errorType));
        _pool = Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null,
            new object[] { hosts, throttleLimit, name, work, failed, "stopped.", "stopped before it started.", cancellation }, null);
    }

    private static string Describe<TError>(int index, TError error) where TError : Exception
    {
        Type type = error.GetType();
        return type.GetProperty("ErrorId").GetValue(error) + "|" + error.Message + "|" + type.GetProperty("TargetObject").GetValue(error) + "|" + (error.InnerException == null ? "" : error.InnerException.GetType().Name);
    }

    /// <summary>A MurderException, made by reflection.</summary>
    private static Exception Error(Type errorType, string errorId, string message, string target)
    {
        Type category = errorType.GetProperty("Category").PropertyType;
        var error = (Exception)Activator.CreateInstance(errorType, errorId, Enum.Parse(category, "NotSpecified"), message, null);
        if (target != null)
        {
            errorType.GetProperty("TargetObject").SetValue(error, target);
        }

        return error;
    }

    public int Pending { get { return (int)Get("Pending"); } }
    public int Active { get { return (int)Get("Active"); } }
    public bool IsFinished { get { return (bool)Get("IsFinished"); } }
    public bool HasOutcomes { get { return (bool)Get("HasOutcomes"); } }
    public int[] ActiveHosts() { return ((IEnumerable<int>)_type.GetMethod("ActiveHosts").Invoke(_pool, null)).ToArray(); }
    public bool Wait(TimeSpan timeout) { return (bool)_type.GetMethod("Wait").Invoke(_pool, new object[] { timeout }); }

    public MurderPoolTaken TryTake()
    {
        var args = new object[] { 0, null };
        return (bool)_type.GetMethod("TryTake").Invoke(_pool, args) ? new MurderPoolTaken { Host = (int)args[0], Outcome = (string)args[1] } : null;
    }

    /// <summary>Takes outcomes as they come until the workers end and none is left, as RunFleet does; also the most hosts ever seen active.</summary>
    public List<MurderPoolTaken> Drain(TimeSpan limit, out int mostSeenActive)
    {
        var taken = new List<MurderPoolTaken>();
        var clock = Stopwatch.StartNew();
        mostSeenActive = 0;
        while (clock.Elapsed < limit)
        {
            bool finished = Wait(TimeSpan.FromMilliseconds(5));
            mostSeenActive = Math.Max(mostSeenActive, Math.Max(Active, ActiveHosts().Length));
            MurderPoolTaken next;
            while ((next = TryTake()) != null)
            {
                taken.Add(next);
            }

            if (finished)
            {
                return taken;
            }
        }

        throw new TimeoutException("The pool did not finish within " + limit + ".");
    }

    private object Get(string property) { return _type.GetProperty(property).GetValue(_pool); }

    /// <summary>Work that records how many hosts run at once and ends after a short delay.</summary>
    public static Func<int, CancellationToken, Task<string>> Counted(int[] running, int[] most)
    {
        return async (index, token) =>
        {
            int now = Interlocked.Increment(ref running[0]);
            int seen;
            while ((seen = Volatile.Read(ref most[0])) < now && Interlocked.CompareExchange(ref most[0], now, seen) != seen) { }
            await Task.Delay(1 + index % 3, token).ConfigureAwait(false);
            Interlocked.Decrement(ref running[0]);
            return "ok";
        };
    }

    /// <summary>Host 0 succeeds; 1 to 4 throw what the pool must turn into outcomes.</summary>
    public static Func<int, CancellationToken, Task<string>> Failing(Type errorType)
    {
        return async (index, token) =>
        {
            await Task.Yield();
            switch (index)
            {
                case 1: throw Error(errorType, "SomethingBroke", "it broke.", null);
                case 2: throw Error(errorType, "AlreadyNamed", "elsewhere: as it was.", "elsewhere");
                case 3: throw new InvalidOperationException("bad state.");
                case 4: throw new OperationCanceledException("cancelled by the host's own timeout.");
                default: return "ok";
            }
        };
    }

    /// <summary>Work that runs until cancelled, then holds on until <paramref name="release"/> completes.</summary>
    public static Func<int, CancellationToken, Task<string>> UntilCancelled(Task release)
    {
        return async (index, token) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                return "ok";
            }
            catch (OperationCanceledException)
            {
                await release.ConfigureAwait(false);
                throw;
            }
        };
    }

    public static Func<int, CancellationToken, Task<string>> Yielding()
    {
        return async (index, token) =>
        {
            await Task.Yield();
            return "ok";
        };
    }

    public static Func<int, CancellationToken, Task<string>> Delayed(int milliseconds)
    {
        return async (index, token) =>
        {
            await Task.Delay(milliseconds, token).ConfigureAwait(false);
            return "ok";
        };
    }

    public static int MinWorkerThreads()
    {
        int workers, ports;
        ThreadPool.GetMinThreads(out workers, out ports);
        return workers;
    }
}
'@
    }

    function script:New-Pool([int] $Hosts, [int] $ThrottleLimit, $Work, [System.Threading.CancellationToken] $Cancellation = [System.Threading.CancellationToken]::None) {
        [MurderPoolProbe]::new($poolType, [Murder.Core.MurderException], $Hosts, $ThrottleLimit, $Work, $Cancellation)
    }

    function script:Wait-Until([scriptblock] $Condition, [int] $Seconds = 10) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        while (-not (& $Condition)) {
            if ($clock.Elapsed.TotalSeconds -gt $Seconds) { throw "Timed out after $Seconds s waiting for: $Condition" }
            Start-Sleep -Milliseconds 10
        }
    }
}

Describe 'The fleet worker pool' {
    It 'works on at most ThrottleLimit hosts at once, reaches it, and gives every host one outcome' {
        $running = [int[]]::new(1)
        $most = [int[]]::new(1)
        $pool = New-Pool -Hosts 300 -ThrottleLimit 7 -Work ([MurderPoolProbe]::Counted($running, $most))
        $seen = 0
        $taken = $pool.Drain([timespan]::FromSeconds(60), [ref] $seen)
        $taken.Count | Should -Be 300
        ($taken.Host | Sort-Object -Unique).Count | Should -Be 300
        @($taken | Where-Object Outcome -NE 'ok').Count | Should -Be 0
        $most[0] | Should -Be 7 -Because 'seven workers, each on one host at a time'
        $seen | Should -BeLessOrEqual 7
        $pool.Pending | Should -Be 0
        $pool.HasOutcomes | Should -BeFalse
        $pool.TryTake() | Should -BeNullOrEmpty
    }

    It 'turns each host''s exception into its outcome with the host''s name and a stable ErrorId' {
        $pool = New-Pool -Hosts 5 -ThrottleLimit 2 -Work ([MurderPoolProbe]::Failing([Murder.Core.MurderException]))
        $seen = 0
        $byHost = @{}
        foreach ($item in $pool.Drain([timespan]::FromSeconds(30), [ref] $seen)) { $byHost[$item.Host] = $item.Outcome }
        $byHost.Count | Should -Be 5
        $byHost[0] | Should -Be 'ok'
        $byHost[1] | Should -Be 'SomethingBroke|host1: it broke.|host1|MurderException'
        $byHost[2] | Should -Be 'AlreadyNamed|elsewhere: as it was.|elsewhere|' -Because 'an error that names its target is kept as it is'
        $byHost[3] | Should -Be 'RemoteOperationFailed|host3: bad state.|host3|InvalidOperationException'
        $byHost[4] | Should -Be 'RemoteOperationFailed|host4: cancelled by the host''s own timeout.|host4|OperationCanceledException' -Because 'a cancellation that is not Ctrl+C is a failure, not a stop'
    }

    It 'stops on cancellation: the running hosts end as stopped, then every host never started, in order' {
        $stop = [System.Threading.CancellationTokenSource]::new()
        $release = [System.Threading.Tasks.TaskCompletionSource[bool]]::new()
        try {
            $pool = New-Pool -Hosts 40 -ThrottleLimit 4 -Work ([MurderPoolProbe]::UntilCancelled($release.Task)) -Cancellation $stop.Token
            Wait-Until { $pool.Active -eq 4 }
            (@($pool.ActiveHosts() | Sort-Object) -join ',') | Should -Be '0,1,2,3'
            $pool.Pending | Should -Be 36
            $stop.Cancel()
            Start-Sleep -Milliseconds 200
            $pool.IsFinished | Should -BeFalse -Because 'the running hosts hold on until released'
            $pool.TryTake() | Should -BeNullOrEmpty -Because 'the hosts never started come after the running ones'
            $pool.Pending | Should -Be 36 -Because 'no host is started once cancelled'
            $null = $release.TrySetResult($true)
            $seen = 0
            $taken = $pool.Drain([timespan]::FromSeconds(30), [ref] $seen)
        }
        finally {
            $null = $release.TrySetResult($true)
            $stop.Dispose()
        }
        $taken.Count | Should -Be 40
        (@($taken[0..3].Host | Sort-Object) -join ',') | Should -Be '0,1,2,3'
        foreach ($item in $taken[0..3]) { $item.Outcome | Should -Be "OperationStopped|host$($item.Host): stopped.|host$($item.Host)|" }
        ($taken[4..39].Host -join ',') | Should -Be ((4..39) -join ',')
        foreach ($item in $taken[4..39]) { $item.Outcome | Should -Be "OperationStopped|host$($item.Host): stopped before it started.|host$($item.Host)|" }
        $pool.Pending | Should -Be 0
        $pool.HasOutcomes | Should -BeFalse
    }

    It 'holds nothing per host before its turn: a pool of 2^31-1 hosts starts at once and hands out the unstarted lazily' {
        $stop = [System.Threading.CancellationTokenSource]::new()
        try {
            $before = [GC]::GetTotalMemory($true)
            $pool = New-Pool -Hosts ([int]::MaxValue) -ThrottleLimit 16 -Work ([MurderPoolProbe]::Delayed(20)) -Cancellation $stop.Token
            ([GC]::GetTotalMemory($false) - $before) | Should -BeLessThan 16MB -Because "a queue or a slot per host would be gigabytes"
            Wait-Until { $pool.Active -eq 16 }
            $stop.Cancel()
            $pool.Wait([timespan]::FromSeconds(10)) | Should -BeTrue
            $left = $pool.Pending
            $left | Should -BeGreaterThan ([int]::MaxValue - 100000)
            # First what the workers queued (done or stopped while running), then the hosts never started, lazily.
            $unstarted = [System.Collections.Generic.List[object]]::new()
            for ($i = 0; $unstarted.Count -lt 1000 -and $i -lt 200000; $i++) {
                $item = $pool.TryTake()
                if ($item.Outcome -like '*stopped before it started.*') { $unstarted.Add($item) }
            }
        }
        finally {
            $stop.Dispose()
        }
        $unstarted.Count | Should -Be 1000
        $first = [int]::MaxValue - $left
        ($unstarted.Host -join ',') | Should -Be (($first..($first + 999)) -join ',')
        $pool.Pending | Should -Be ($left - 1000)
        $pool.HasOutcomes | Should -BeTrue
    }

    It 'takes time in proportion to the fleet: 200,000 hosts' {
        $pool = New-Pool -Hosts 200000 -ThrottleLimit 32 -Work ([MurderPoolProbe]::Yielding())
        $seen = 0
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $taken = $pool.Drain([timespan]::FromSeconds(60), [ref] $seen)
        $clock.Stop()
        $taken.Count | Should -Be 200000
        $seen | Should -BeLessOrEqual 32
        Write-Host "    200,000 hosts in $([int]$clock.Elapsed.TotalMilliseconds) ms"
    }

    It 'raises the thread-pool reserve to its workers while it runs and puts it back after' {
        $before = [MurderPoolProbe]::MinWorkerThreads()
        $pool = New-Pool -Hosts 100 -ThrottleLimit 50 -Work ([MurderPoolProbe]::Delayed(200))
        [MurderPoolProbe]::MinWorkerThreads() | Should -BeGreaterOrEqual ($before + 50)
        $seen = 0
        $null = $pool.Drain([timespan]::FromSeconds(30), [ref] $seen)
        Wait-Until { [MurderPoolProbe]::MinWorkerThreads() -eq $before } -Seconds 5
    }
}

Describe 'A fleet cmdlet run through the pool, against hosts that accept and never answer' {
    BeforeAll {
        # Three loopback listeners that complete the TCP handshake and then say nothing: an SSH
        # connection to them waits for the server's banner until its timeout or Ctrl+C.
        $script:work = New-TestDirectory -Prefix murder-pool
        $script:key = Join-Path $work 'key'
        & ssh-keygen -q -t ed25519 -N '' -C murder-pool-test -f $key | Out-Null
        $script:listeners = @(1..3 | ForEach-Object {
                $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
                $listener.Start()
                $listener
            })
        $script:hosts = @($listeners | ForEach-Object { "127.0.0.1:$($_.LocalEndpoint.Port)" })

        function script:New-Install([string] $ConfigPath) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($Module, $Hosts, $Key, $ConfigPath)
                    Import-Module $Module
                    Install-MurderModule -ComputerName $Hosts -SshKeyPath $Key -NoHostKeyCheck -UserName murder -ThrottleLimit 2 -ConfigPath $ConfigPath
                }).AddArgument($env:MURDER_MODULE_PATH).AddArgument($hosts).AddArgument($key).AddArgument($ConfigPath)
            $ps
        }
    }

    AfterAll {
        foreach ($listener in $listeners) { $listener.Stop() }
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
    }

    It 'writes one error per host, targeting it, when nothing stops it' {
        $config = Join-Path $work 'timeout.psd1'
        Set-Content -LiteralPath $config -Value '@{ ConnectTimeoutSeconds = 1 }'
        $ps = New-Install -ConfigPath $config
        try {
            $null = $ps.Invoke()
            @($ps.Streams.Error | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*' }) | Should -Be @('HostUnreachable', 'HostUnreachable', 'HostUnreachable')
            (@($ps.Streams.Error.TargetObject | Sort-Object) -join ',') | Should -Be ((@($hosts) | Sort-Object) -join ',')
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'stops promptly on Ctrl+C, writes nothing more and starts no further host' {
        foreach ($listener in $listeners) { while ($listener.Pending()) { $listener.AcceptTcpClient().Dispose() } }
        $config = Join-Path $work 'patient.psd1'
        Set-Content -LiteralPath $config -Value '@{ ConnectTimeoutSeconds = 60 }'
        $ps = New-Install -ConfigPath $config
        try {
            $running = $ps.BeginInvoke()
            Wait-Until { $listeners[0].Pending() -and $listeners[1].Pending() } -Seconds 30
            Start-Sleep -Milliseconds 300
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 5 -Because 'the connections waiting for a banner are cancelled, not timed out'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $running.IsCompleted | Should -BeTrue
            $ps.Streams.Error.Count | Should -Be 0 -Because 'the pipeline was stopping: no host''s outcome can be written'
            $listeners[2].Pending() | Should -BeFalse -Because 'the third host''s turn never came'
        }
        finally {
            $ps.Dispose()
        }
    }
}
