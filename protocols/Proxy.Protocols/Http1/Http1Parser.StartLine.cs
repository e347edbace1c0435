using System.Buffers.Binary;
using System.Text;
using static Proxy.Protocols.Http1.HttpCharacters;

namespace Proxy.Protocols.Http1;

public sealed partial class Http1Parser
{
    private const int VersionLength = 8; // "HTTP/1.1"

    // "HTTP/1.x" read as a little-endian ulong, to compare a version in one instruction.
    private static readonly ulong Http11Version = BinaryPrimitives.ReadUInt64LittleEndian("HTTP/1.1"u8);
    private static readonly ulong Http10Version = BinaryPrimitives.ReadUInt64LittleEndian("HTTP/1.0"u8);

    /// <summary><c>request-line = method SP request-target SP HTTP-version</c> (RFC 9112 3), exactly one SP each.</summary>
    private static void ParseRequestLine<THandler>(ReadOnlySpan<byte> line, ref THandler handler, ref HttpHeadInfo info)
        where THandler : struct, IHttpRequestHeadHandler
    {
        int methodEnd = line.IndexOf(ByteSpace);
        if (methodEnd <= 0)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidRequestLine);
        }

        ReadOnlySpan<byte> method = line[..methodEnd];
        ReadOnlySpan<byte> rest = line[(methodEnd + 1)..];
        int targetEnd = rest.IndexOf(ByteSpace);
        if (targetEnd <= 0)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidRequestLine);
        }

        ReadOnlySpan<byte> target = rest[..targetEnd];
        ReadOnlySpan<byte> versionText = rest[(targetEnd + 1)..];

        if (method.IndexOfAnyExcept(TokenChars) >= 0)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidMethod);
        }

        // Version before target: "PRI * HTTP/2.0" (the HTTP/2 preface) is answered 505, not 400.
        Http1Version version = ParseVersion(line, versionText, Http1ParseError.InvalidRequestLine);

        if (target.IndexOfAnyExcept(TargetChars) >= 0)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidRequestTarget);
        }

        Http1Method knownMethod = KnownHeaders.RecognizeMethod(method);
        if (!IsValidTargetForm(knownMethod, target))
        {
            Http1ThrowHelper.Throw(Http1ParseError.InvalidRequestTarget);
        }

        info.Method = knownMethod;
        info.Version = version;
        handler.OnRequestLine(knownMethod, method, target, version);
    }

    /// <summary><c>status-line = HTTP-version SP status-code SP [ reason-phrase ]</c> (RFC 9112 4).</summary>
    /// <remarks>Accepts a missing SP after the code as well as an empty reason: both are common and harmless.</remarks>
    private static void ParseStatusLine<THandler>(ReadOnlySpan<byte> line, ref THandler handler, ref HttpHeadInfo info)
        where THandler : struct, IHttpResponseHeadHandler
    {
        const int CodeStart = VersionLength + 1;
        const int CodeEnd = CodeStart + 3;

        if (line.Length < CodeEnd || line[VersionLength] != ByteSpace)
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidStatusLine);
        }

        Http1Version version = ParseVersion(line, line[..VersionLength], Http1ParseError.InvalidStatusLine);

        byte hundreds = line[CodeStart];
        byte tens = line[CodeStart + 1];
        byte units = line[CodeStart + 2];
        if (hundreds is < (byte)'1' or > (byte)'9' || !IsDigit(tens) || !IsDigit(units))
        {
            Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidStatusLine);
        }

        ReadOnlySpan<byte> reason = line[CodeEnd..];
        if (!reason.IsEmpty)
        {
            // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
            if (reason[0] != ByteSpace || reason.IndexOfAny(InvalidFieldValueChars) >= 0)
            {
                Http1ThrowHelper.ThrowForLine(line, Http1ParseError.InvalidStatusLine);
            }

            reason = reason[1..];
        }

        int statusCode = ((hundreds - '0') * 100) + ((tens - '0') * 10) + (units - '0');
        info.Version = version;
        info.StatusCode = statusCode;
        handler.OnStatusLine(version, statusCode, reason);
    }

    /// <summary>
    /// <c>HTTP-version = "HTTP/" DIGIT "." DIGIT</c> (RFC 9112 2.3): 1.0 and 1.1 are accepted, any other well-formed
    /// version is 505, anything else is <paramref name="malformed"/>.
    /// </summary>
    private static Http1Version ParseVersion(ReadOnlySpan<byte> line, ReadOnlySpan<byte> version, Http1ParseError malformed)
    {
        if (version.Length == VersionLength)
        {
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(version);
            if (value == Http11Version)
            {
                return Http1Version.Http11;
            }

            if (value == Http10Version)
            {
                return Http1Version.Http10;
            }

            if (version.StartsWith("HTTP/"u8) && IsDigit(version[5]) && version[6] == (byte)'.' && IsDigit(version[7]))
            {
                Http1ThrowHelper.Throw(Http1ParseError.UnsupportedVersion);
            }
        }

        Http1ThrowHelper.ThrowForLine(line, malformed);
        return default;
    }

    /// <summary>
    /// The four request-target forms (RFC 9112 3.2): origin-form for everything but CONNECT, absolute-form with an
    /// http(s) scheme and an authority, authority-form <c>host:port</c> for CONNECT only, asterisk-form for OPTIONS only.
    /// The bytes are already known to be VCHAR without '#'.
    /// </summary>
    private static bool IsValidTargetForm(Http1Method method, ReadOnlySpan<byte> target)
    {
        if (method == Http1Method.Connect)
        {
            return HttpAuthority.IsValid(target, requirePort: true);
        }

        if (target[0] == ByteSlash)
        {
            return true;
        }

        if (target.Length == 1 && target[0] == ByteAsterisk)
        {
            return method == Http1Method.Options;
        }

        ReadOnlySpan<byte> afterScheme;
        if (target.Length > 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8))
        {
            afterScheme = target[7..];
        }
        else if (target.Length > 8 && Ascii.EqualsIgnoreCase(target[..8], "https://"u8))
        {
            afterScheme = target[8..];
        }
        else
        {
            return false;
        }

        int authorityEnd = afterScheme.IndexOfAny(ByteSlash, ByteQuestion);
        ReadOnlySpan<byte> authority = authorityEnd < 0 ? afterScheme : afterScheme[..authorityEnd];
        return !authority.IsEmpty && HttpAuthority.IsValid(authority, requirePort: false);
    }
}
