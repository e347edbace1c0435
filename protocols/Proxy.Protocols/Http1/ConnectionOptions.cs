namespace Proxy.Protocols.Http1;

/// <summary>Tokens seen in the Connection header field(s) (RFC 9110 7.6.1), case-insensitive.</summary>
[Flags]
public enum ConnectionOptions : byte
{
    None = 0,
    Close = 1,
    KeepAlive = 2,
    Upgrade = 4,
    /// <summary>Some other token, naming a field that is hop-by-hop for this message.</summary>
    Other = 8,
}
