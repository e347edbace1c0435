namespace Proxy.Protocols.Tls;

/// <summary>What <see cref="ClientHelloReader.TryRead"/> found at the start of a connection.</summary>
public enum ClientHelloStatus : byte
{
    /// <summary>The bytes so far are a valid prefix of a ClientHello; read more and call again from the start.</summary>
    NeedMoreData,

    /// <summary>A whole, well-formed ClientHello was read; the <see cref="ClientHelloInfo"/> is filled in.</summary>
    Complete,

    /// <summary>The first bytes cannot begin a TLS handshake record: not TLS (plaintext, or an SSLv2-format hello).</summary>
    NotTls,

    /// <summary>TLS records, but not a well-formed ClientHello: bad lengths, a different message or record type.</summary>
    Malformed,

    /// <summary>The hello (or its ALPN list) is larger than the reader accepts.</summary>
    TooLarge,
}
