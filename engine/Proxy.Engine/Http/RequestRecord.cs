using Proxy.Engine.Upstream;

namespace Proxy.Engine.Http;

/// <summary>What one finished HTTP request came to: the seed of an access-log line and of the request metrics.</summary>
/// <param name="StatusCode">The status sent to the client, or 0 when none was (the client left first).</param>
/// <param name="Flags">Envoy's response flags.</param>
/// <param name="RouteName">The matched route, or null.</param>
/// <param name="Upstream">The endpoint of the last attempt, or null when none was tried.</param>
/// <param name="Attempts">Upstream attempts made under the retry policy (0 when the request was not forwarded).</param>
internal readonly record struct RequestRecord(int StatusCode, ResponseFlags Flags, string? RouteName, EndpointState? Upstream, int Attempts);

/// <summary>
/// Receives a record per finished request, on the connection's thread; must not block, and must copy what it keeps of
/// <see cref="RequestLogFields"/> before returning. The access log also receives one per finished L4 connection
/// (<see cref="RequestLogFields.IsTcp"/>).
/// </summary>
internal interface IRequestLogSink
{
    void OnRequestCompleted(in RequestRecord record, in RequestLogFields fields);
}
