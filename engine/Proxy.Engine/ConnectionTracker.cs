using System.Collections.Concurrent;

namespace Proxy.Engine;

/// <summary>The server's open downstream connections, so a stop can drain and then abort them and the heartbeat can
/// reach each.</summary>
internal sealed class ConnectionTracker
{
    private readonly ConcurrentDictionary<DownstreamConnection, byte> _connections = new();

    public int Count => _connections.Count;

    public void Add(DownstreamConnection connection) => _connections.TryAdd(connection, 0);

    public void Remove(DownstreamConnection connection) => _connections.TryRemove(connection, out _);

    public void DrainAll()
    {
        foreach (var (connection, _) in _connections)
        {
            connection.Drain();
        }
    }

    public void AbortAll()
    {
        foreach (var (connection, _) in _connections)
        {
            connection.Abort();
        }
    }

    public void OnHeartbeat(long now)
    {
        foreach (var (connection, _) in _connections)
        {
            connection.OnHeartbeat(now);
        }
    }

    public Task WhenAllClosed()
    {
        var tasks = new List<Task>(_connections.Count);
        foreach (var (connection, _) in _connections)
        {
            tasks.Add(connection.Completion);
        }

        return Task.WhenAll(tasks);
    }
}
