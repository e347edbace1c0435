using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Retries;

/// <summary>What the retry tests share: scripted replies, a refusing endpoint, a proxy with one retrying route.</summary>
internal static class RetryTestKit
{
    public const string Get = "GET /r HTTP/1.1\r\nHost: a\r\n\r\n";

    /// <summary>A raw response with a Content-Length body and extra header lines.</summary>
    public static BackendReply Status(int status, string body = "", params string[] headers)
    {
        var sb = new StringBuilder("HTTP/1.1 ").Append(status).Append(" X\r\n");
        foreach (var h in headers)
        {
            sb.Append(h).Append("\r\n");
        }

        sb.Append("Content-Length: ").Append(Encoding.ASCII.GetByteCount(body)).Append("\r\n\r\n").Append(body);
        return BackendReply.Raw(sb.ToString());
    }

    /// <summary>The upstream that fails its first <paramref name="failures"/> requests with <paramref name="failure"/>
    /// (across all connections), then answers 200 with the request's body echoed.</summary>
    public static Func<BackendRequest, BackendReply> FailFirst(int failures, BackendReply failure)
    {
        var seen = 0;
        return r => Interlocked.Increment(ref seen) <= failures ? failure : BackendReply.Ok("ok:" + Encoding.ASCII.GetString(r.Body));
    }

    /// <summary>Closes the connection without a byte of response.</summary>
    public static BackendReply CloseWithoutReply => new([], CloseWithoutReply: true);

    /// <summary>Resets the connection (RST) without a byte of response.</summary>
    public static BackendReply ResetBeforeHeaders => new([], ResetAfter: true);

    /// <summary>Sends part of a response head, then resets.</summary>
    public static BackendReply ResetMidHead => new(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-"), ResetAfter: true);

    public static RetryPolicy Policy(RetryConditions on, int retries = 2) => new()
    {
        NumRetries = retries,
        RetryOn = on,
        BackoffBase = TimeSpan.Zero,
    };

    /// <summary>A round-robin cluster (the first pick is the first endpoint, then in order), so which endpoint an attempt
    /// reaches is known.</summary>
    public static ClusterConfig Cluster(params IPEndPoint[] endpoints) => new()
    {
        Name = "c",
        Endpoints = [.. endpoints.Select(e => new EndpointConfig(e.Address.ToString(), e.Port))],
        LoadBalancing = LoadBalancingPolicy.RoundRobin,
    };

    public static Task<ProxyFixture> StartAsync(
        ClusterConfig cluster, RetryPolicy? retry, RequestLogRecorder log, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        var route = new HttpRoute("r", [new WeightedCluster(cluster, 100)]) { Retry = retry, Timeout = timeout };
        var options = time is null ? new ProxyServerOptions { RequestLog = log } : new ProxyServerOptions { RequestLog = log, TimeProvider = time };
        return ProxyFixture.StartAsync(new TableRouter().Add("*", "/", route), [cluster], options);
    }

    /// <summary>The attempt counts the upstream saw, in arrival order.</summary>
    public static string[] AttemptCounts(TestBackend backend) => [.. backend.Requests.Select(r => r.Header("x-envoy-attempt-count") ?? "-")];

    /// <summary>Advances the fake clock a second at a time until <paramref name="condition"/> holds (bounded by the poll).</summary>
    public static Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition, TimeSpan? step = null)
        => FailureTests.PollAsync(() =>
        {
            if (condition())
            {
                return true;
            }

            time.Advance(step ?? TimeSpan.FromSeconds(1));
            return false;
        });
}

/// <summary>
/// An endpoint that refuses connections: a socket bound to a loopback port but not listening, so a connect gets RST
/// (ECONNREFUSED) at once, and the port stays reserved for the test's lifetime.
/// </summary>
internal sealed class RefusingEndpoint : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingEndpoint()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public void Dispose() => _socket.Dispose();
}
