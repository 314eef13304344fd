using System;

namespace Murder.Core.Swarm.Dialing;

/// <summary>A peer address we may dial: when we last tried, how often it failed, whether it is banned.</summary>
internal sealed class PeerCandidate
{
    private int _failures;
    private TimeSpan _retryAt;
    private bool _dialling;
    private bool _connected;
    private bool _banned;

    public bool ShouldDial(TimeSpan now) => !_banned && !_dialling && !_connected && now >= _retryAt && _failures < 20;

    public void Dialling() => _dialling = true;

    public void Connected(bool banned)
    {
        _dialling = false;
        _connected = true;
        _banned |= banned;
    }

    public void Failed(TimeSpan now)
    {
        _dialling = false;
        _connected = false;
        _failures++;
        _retryAt = now + TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * (1 << Math.Min(_failures, 6))));
    }

    public void Ban() => _banned = true;
}
