using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Proxy.Protocols.Http1;

/// <summary>
/// Out-of-line rejection so the parsing loops stay small enough to inline and carry no exception-building code.
/// </summary>
internal static class Http1ThrowHelper
{
    [DoesNotReturn]
    [StackTraceHidden]
    public static void Throw(Http1ParseError error)
        => throw new Http1ParseException(error, Http1ParseErrors.GetStatusCode(error), Http1ParseErrors.GetMessage(error));

    /// <summary>
    /// Rejects a line for <paramref name="error"/>, unless the line holds a CR: a CR inside a line is never followed by
    /// LF, so it is the more precise reason whatever tripped first.
    /// </summary>
    [DoesNotReturn]
    [StackTraceHidden]
    public static void ThrowForLine(ReadOnlySpan<byte> line, Http1ParseError error)
        => Throw(line.Contains(HttpCharacters.ByteCR) ? Http1ParseError.BareCarriageReturn : error);
}
