namespace Proxy.Protocols.Http1;

/// <summary>
/// A message that breaks RFC 9112. Thrown only for protocol rejection, through out-of-line throw helpers;
/// the caller answers <see cref="StatusCode"/> and closes the connection.
/// </summary>
public sealed class Http1ParseException : Exception
{
    public Http1ParseException(Http1ParseError error, int statusCode, string message)
        : base(message)
    {
        Error = error;
        StatusCode = statusCode;
    }

    public Http1ParseException()
        : this(Http1ParseError.InvalidRequestLine, 400, "Bad request")
    {
    }

    public Http1ParseException(string message)
        : this(Http1ParseError.InvalidRequestLine, 400, message)
    {
    }

    public Http1ParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 400;
    }

    public Http1ParseError Error { get; }

    /// <summary>400, 414, 431 or 505 for requests; a caller proxying a response maps any error to 502.</summary>
    public int StatusCode { get; }
}
