namespace Murder.Cmdlets.Fleet;

/// <summary>What a host's worker is doing now, read by the pipeline thread for its progress bar.</summary>
internal sealed class HostActivity
{
    private volatile string _stage = "Waiting";

    public string Stage
    {
        get => _stage;
        set => _stage = value;
    }
}
