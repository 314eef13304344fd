namespace Murder.Core.Tracker;

/// <summary>Who is on the other end of a connection, worked out once per connection.</summary>
internal readonly record struct TrackerClientInfo(PeerAddress Address, bool IsLoopback);
