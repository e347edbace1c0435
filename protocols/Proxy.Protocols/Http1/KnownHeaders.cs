using System.Text;

namespace Proxy.Protocols.Http1;

/// <summary>Recognises the header names and methods the data path acts on, from bytes, without allocating.</summary>
public static class KnownHeaders
{
    /// <summary>Maps a field name (any case) to its <see cref="KnownHeader"/>, or <see cref="KnownHeader.None"/>.</summary>
    public static KnownHeader Recognize(ReadOnlySpan<byte> name)
    {
        // Dispatch on length first so each candidate needs at most a couple of comparisons.
        switch (name.Length)
        {
            case 2:
                return Ascii.EqualsIgnoreCase(name, "te"u8) ? KnownHeader.TE : KnownHeader.None;
            case 4:
                return Ascii.EqualsIgnoreCase(name, "host"u8) ? KnownHeader.Host : KnownHeader.None;
            case 6:
                return Ascii.EqualsIgnoreCase(name, "expect"u8) ? KnownHeader.Expect : KnownHeader.None;
            case 7:
                if (Ascii.EqualsIgnoreCase(name, "upgrade"u8))
                {
                    return KnownHeader.Upgrade;
                }

                return Ascii.EqualsIgnoreCase(name, "trailer"u8) ? KnownHeader.Trailer : KnownHeader.None;
            case 10:
                if (Ascii.EqualsIgnoreCase(name, "connection"u8))
                {
                    return KnownHeader.Connection;
                }

                return Ascii.EqualsIgnoreCase(name, "keep-alive"u8) ? KnownHeader.KeepAlive : KnownHeader.None;
            case 12:
                return Ascii.EqualsIgnoreCase(name, "x-request-id"u8) ? KnownHeader.XRequestId : KnownHeader.None;
            case 14:
                return Ascii.EqualsIgnoreCase(name, "content-length"u8) ? KnownHeader.ContentLength : KnownHeader.None;
            case 15:
                return Ascii.EqualsIgnoreCase(name, "x-forwarded-for"u8) ? KnownHeader.XForwardedFor : KnownHeader.None;
            case 16:
                return Ascii.EqualsIgnoreCase(name, "proxy-connection"u8) ? KnownHeader.ProxyConnection : KnownHeader.None;
            case 17:
                if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
                {
                    return KnownHeader.TransferEncoding;
                }

                return Ascii.EqualsIgnoreCase(name, "x-forwarded-proto"u8) ? KnownHeader.XForwardedProto : KnownHeader.None;
            default:
                return KnownHeader.None;
        }
    }

    /// <summary>Maps a method token (case-sensitive, RFC 9110 9.1) to its <see cref="Http1Method"/>.</summary>
    public static Http1Method RecognizeMethod(ReadOnlySpan<byte> token) => token.Length switch
    {
        3 when token.SequenceEqual("GET"u8) => Http1Method.Get,
        3 when token.SequenceEqual("PUT"u8) => Http1Method.Put,
        4 when token.SequenceEqual("HEAD"u8) => Http1Method.Head,
        4 when token.SequenceEqual("POST"u8) => Http1Method.Post,
        5 when token.SequenceEqual("PATCH"u8) => Http1Method.Patch,
        5 when token.SequenceEqual("TRACE"u8) => Http1Method.Trace,
        6 when token.SequenceEqual("DELETE"u8) => Http1Method.Delete,
        7 when token.SequenceEqual("CONNECT"u8) => Http1Method.Connect,
        7 when token.SequenceEqual("OPTIONS"u8) => Http1Method.Options,
        _ => Http1Method.Custom,
    };
}
