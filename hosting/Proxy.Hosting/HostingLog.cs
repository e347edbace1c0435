using Microsoft.Extensions.Logging;

namespace Proxy.Hosting;

/// <summary>Log messages of the hosting layer. Event IDs: 1xx servers, 2xx gateway lifecycle, 3xx admin.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(100, LogLevel.Warning, "Accepting a connection failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(101, LogLevel.Debug, "Rejected a request with {StatusCode}: {Reason}")]
    public static partial void BadRequest(ILogger logger, int statusCode, string reason);

    [LoggerMessage(102, LogLevel.Error, "A request handler failed; closing the connection")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(103, LogLevel.Information, "Echo server {Name} listening on {EndPoint}")]
    public static partial void EchoListening(ILogger logger, string name, System.Net.IPEndPoint endPoint);

    [LoggerMessage(200, LogLevel.Information, "Gateway started: configuration {Version}, {ListenerCount} listener(s)")]
    public static partial void GatewayStarted(ILogger logger, string version, int listenerCount);

    [LoggerMessage(201, LogLevel.Information, "Listener {Name} bound to {EndPoint}")]
    public static partial void ListenerBound(ILogger logger, string name, System.Net.IPEndPoint? endPoint);

    [LoggerMessage(202, LogLevel.Warning, "Configuration warning: {Warning}")]
    public static partial void ConfigWarning(ILogger logger, string warning);

    [LoggerMessage(203, LogLevel.Information, "Draining: no new connections; in-flight requests get up to {DrainTimeout}")]
    public static partial void DrainStarted(ILogger logger, TimeSpan drainTimeout);

    [LoggerMessage(204, LogLevel.Information, "Drained")]
    public static partial void Drained(ILogger logger);

    [LoggerMessage(205, LogLevel.Information, "Gateway stopped")]
    public static partial void GatewayStopped(ILogger logger);

    [LoggerMessage(300, LogLevel.Information, "Admin endpoint listening on {EndPoint}")]
    public static partial void AdminListening(ILogger logger, System.Net.IPEndPoint endPoint);

    [LoggerMessage(301, LogLevel.Information, "Drain requested through the admin endpoint")]
    public static partial void AdminDrainRequested(ILogger logger);
}
