using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Proxy.Hosting.Tests.Soak;

/// <summary>
/// An HTTP/1.1 backend that fails about 10% of requests, in the ways real ones do: 503 and 500 answers, a close before
/// the response head, a reset in the middle of the body, and an answer slower than the per-try timeout. The rest get a
/// 200 whose body says which backend answered. Raw sockets and a seeded random, so a run can be reproduced.
/// </summary>
internal sealed class FlakyBackend : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _lock = new();
    private readonly string _name;
    private readonly int _seed;
    private readonly TimeSpan _slow;
    private readonly Task _accept;
    private int _open;
    private long _requests;
    private long _failures;

    public FlakyBackend(string name, int seed, TimeSpan slow)
    {
        _name = name;
        _seed = seed;
        _slow = slow;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accept = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int OpenConnections => Volatile.Read(ref _open);

    public long Requests => Interlocked.Read(ref _requests);

    public long Failures => Interlocked.Read(ref _failures);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accept;
        Task[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var id = 0;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var task = ServeAsync(socket, new Random(_seed * 7919 + id++));
            lock (_lock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket socket, Random random)
    {
        Interlocked.Increment(ref _open);
        var buffer = new byte[16 * 1024];
        var start = 0;
        var end = 0;
        try
        {
            using (socket)
            {
                while (true)
                {
                    // One request: head, then a Content-Length body.
                    int headEnd;
                    while ((headEnd = buffer.AsSpan(start, end - start).IndexOf("\r\n\r\n"u8)) < 0)
                    {
                        if (start > 0)
                        {
                            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                            end -= start;
                            start = 0;
                        }

                        var read = await socket.ReceiveAsync(buffer.AsMemory(end), _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        end += read;
                    }

                    var head = Encoding.Latin1.GetString(buffer, start, headEnd);
                    start += headEnd + 4;
                    var length = ContentLength(head);
                    while (end - start < length)
                    {
                        var read = await socket.ReceiveAsync(buffer.AsMemory(end), _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        end += read;
                    }

                    start += length;
                    Interlocked.Increment(ref _requests);
                    var roll = random.Next(100);
                    if (roll < 10)
                    {
                        Interlocked.Increment(ref _failures);
                    }

                    switch (roll)
                    {
                        case < 4:
                            await SendAsync(socket, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\n\r\nunavailable");
                            continue;
                        case < 6:
                            return; // closes before the response head
                        case < 7:
                            await SendAsync(socket, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\ncut short");
                            socket.LingerState = new LingerOption(true, 0);
                            return; // resets mid-body
                        case < 8:
                            await Task.Delay(_slow, _stop.Token);
                            break;
                        case < 10:
                            await SendAsync(socket, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror");
                            continue;
                    }

                    var body = string.Create(CultureInfo.InvariantCulture, $"{_name} {length}");
                    await SendAsync(socket, string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.Latin1.GetBytes(text), _stop.Token);

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
