namespace Proxy.Protocols.Http1;

public enum ChunkedDecodeStatus : byte
{
    /// <summary>All input was consumed (framing is remembered in the decoder's state); read more.</summary>
    NeedMoreData,

    /// <summary>A slice of chunk data is available; call again for more.</summary>
    Data,

    /// <summary>The last chunk and the trailer section have been consumed; the body is over.</summary>
    Completed,
}
