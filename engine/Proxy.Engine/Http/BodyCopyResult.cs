namespace Proxy.Engine.Http;

internal enum BodyCopyResult : byte
{
    /// <summary>The whole body (by its framing) was copied.</summary>
    Completed,

    /// <summary>The source ended before the body did.</summary>
    SourceEnded,

    /// <summary>The destination stopped accepting (peer gone).</summary>
    DestinationClosed,

    /// <summary>The source's chunked framing was invalid.</summary>
    InvalidFraming,

    /// <summary>A pending read was cancelled (the other direction finished first, or the server is stopping).</summary>
    Canceled,
}
