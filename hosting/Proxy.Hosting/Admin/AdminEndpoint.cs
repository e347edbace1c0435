using System.Net;
using Microsoft.Extensions.Logging;
using Proxy.Hosting.Http;

namespace Proxy.Hosting.Admin;

/// <summary>
/// The admin port (DESIGN.md "Admin endpoint"), on the same small server as <see cref="EchoServer"/>:
/// <c>GET /ready</c> answers 200 <c>LIVE</c> while serving and 503 <c>DRAINING</c> once draining (Envoy's words, so
/// existing probes and runbooks read the same); <c>POST /drain</c> starts draining and returns at once; anything
/// else is 404 (405 for a known path with the wrong method).
/// </summary>
internal sealed class AdminEndpoint : IAsyncDisposable
{
    private readonly MiniHttpServer _server;
    private readonly Func<bool> _isDraining;
    private readonly Action _beginDrain;
    private readonly ILogger _logger;

    /// <param name="endPoint">Where to listen.</param>
    /// <param name="isDraining">Reads the serving state; called for every <c>/ready</c>.</param>
    /// <param name="beginDrain">Starts a drain without waiting for it; must be idempotent.</param>
    /// <param name="logger">Where to log.</param>
    public AdminEndpoint(IPEndPoint endPoint, Func<bool> isDraining, Action beginDrain, ILogger logger)
    {
        _isDraining = isDraining;
        _beginDrain = beginDrain;
        _logger = logger;
        _server = new MiniHttpServer(endPoint, Handle, logger);
    }

    public IPEndPoint? EndPoint => _server.LocalEndPoint;

    public IPEndPoint Start()
    {
        var bound = _server.Start();
        HostingLog.AdminListening(_logger, bound);
        return bound;
    }

    public Task StopAsync() => _server.StopAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private MiniHttpResponse Handle(MiniHttpRequest request)
    {
        switch (request.Path)
        {
            case "/ready":
                if (request.Method is not ("GET" or "HEAD"))
                {
                    return MethodNotAllowed("GET");
                }

                return _isDraining() ? MiniHttpResponse.Text(503, "DRAINING\n") : MiniHttpResponse.Text(200, "LIVE\n");

            case "/drain":
                if (request.Method != "POST")
                {
                    return MethodNotAllowed("POST");
                }

                HostingLog.AdminDrainRequested(_logger);
                _beginDrain();
                return MiniHttpResponse.Text(200, "OK\n");

            default:
                return MiniHttpResponse.Text(404, "not found\n");
        }
    }

    private static MiniHttpResponse MethodNotAllowed(string allow)
        => new(405, "text/plain; charset=utf-8", "method not allowed\n"u8.ToArray()) { Headers = [new("allow", allow)] };
}
