namespace Proxy.Protocols.Http1;

/// <summary>The HTTP-version of a start line. Anything but 1.0 and 1.1 is rejected with 505 before a caller sees it.</summary>
public enum Http1Version : byte
{
    Http10 = 0,
    Http11 = 1,
}
