using System.Collections.Concurrent;
using Proxy.Engine.Http;

namespace Proxy.Engine;

/// <summary>The server's open downstream connections, so a stop can drain and then abort them.</summary>
internal sealed class ConnectionTracker
{
    private readonly ConcurrentDictionary<Http1ProxyConnection, byte> _connections = new();

    public int Count => _connections.Count;

    public void Add(Http1ProxyConnection connection) => _connections.TryAdd(connection, 0);

    public void Remove(Http1ProxyConnection connection) => _connections.TryRemove(connection, out _);

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
