namespace Proxy.Protocols.Http1;

/// <summary>Size limits enforced while parsing a message head. Defaults follow Envoy/Kestrel practice.</summary>
public sealed class Http1ParserLimits
{
    /// <summary>Longest request line (method, target, version, CRLF) before 414. Default 8 KiB.</summary>
    public int MaxRequestLineLength { get; init; } = 8 * 1024;

    /// <summary>Longest header block (all field lines and the final CRLF, excluding the start line) before 431. Default 60 KiB (Envoy's max_request_headers_kb).</summary>
    public int MaxHeaderBlockLength { get; init; } = 60 * 1024;

    /// <summary>Most header fields before 431. Default 100 (Envoy's max_headers_count).</summary>
    public int MaxHeaderCount { get; init; } = 100;

    /// <summary>Longest chunk-size line (size, extensions, CRLF) in a chunked body. Default 4 KiB.</summary>
    public int MaxChunkLineLength { get; init; } = 4 * 1024;

    /// <summary>Longest trailer section of a chunked body. Default 60 KiB.</summary>
    public int MaxTrailerLength { get; init; } = 60 * 1024;

    public static Http1ParserLimits Default { get; } = new();
}
