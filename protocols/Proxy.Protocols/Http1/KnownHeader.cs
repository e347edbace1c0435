namespace Proxy.Protocols.Http1;

/// <summary>
/// Header names the data path acts on, recognised case-insensitively from bytes without allocating.
/// Every other field is <see cref="None"/> and is handed over by name.
/// </summary>
public enum KnownHeader : byte
{
    None = 0,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,
    Expect,
    TE,
    KeepAlive,
    ProxyConnection,
    Trailer,
    XForwardedFor,
    XForwardedProto,
    XRequestId,
}
