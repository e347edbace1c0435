namespace Proxy.Engine.Routing;

/// <summary>Answer with a fixed status and body instead of forwarding (Envoy <c>direct_response</c>, Istio
/// <c>HTTPDirectResponse</c>).</summary>
public sealed class DirectResponseAction
{
    public DirectResponseAction(int statusCode, ReadOnlyMemory<byte> body = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        StatusCode = statusCode;
        Body = body;
    }

    public int StatusCode { get; }

    /// <summary>The body; when not empty it is sent with <c>content-type: text/plain</c>, as Envoy does.</summary>
    public ReadOnlyMemory<byte> Body { get; }
}
