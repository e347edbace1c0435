namespace Proxy.Protocols.Http1;

/// <summary>Framing facts about a parsed head, computed by the parser so callers need not re-read fields.</summary>
public struct HttpHeadInfo
{
    /// <summary>Request method (requests only).</summary>
    public Http1Method Method { get; set; }

    public Http1Version Version { get; set; }

    /// <summary>Status code (responses only).</summary>
    public int StatusCode { get; set; }

    /// <summary>The Content-Length value, or -1 when absent.</summary>
    public long ContentLength { get; set; }

    /// <summary>Transfer-Encoding is present and its final (only) coding is chunked.</summary>
    public bool IsChunked { get; set; }

    /// <summary>Tokens seen in Connection fields.</summary>
    public ConnectionOptions Connection { get; set; }

    /// <summary>An Upgrade field is present.</summary>
    public bool HasUpgrade { get; set; }

    /// <summary>Expect: 100-continue is present (requests only).</summary>
    public bool ExpectContinue { get; set; }

    /// <summary>Number of header fields.</summary>
    public int HeaderCount { get; set; }

    /// <summary>Bytes of the whole head, start line through the empty line.</summary>
    public int HeadLength { get; set; }
}
