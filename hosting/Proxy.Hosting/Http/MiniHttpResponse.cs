namespace Proxy.Hosting.Http;

/// <summary>What a <see cref="MiniHttpServer"/> handler answers. Content-Length and Connection are added by the server.</summary>
internal sealed class MiniHttpResponse
{
    public MiniHttpResponse(int statusCode, string contentType, ReadOnlyMemory<byte> body)
    {
        StatusCode = statusCode;
        ContentType = contentType;
        Body = body;
    }

    public int StatusCode { get; }

    public string ContentType { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Extra header fields, written after the content type.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public static MiniHttpResponse Text(int statusCode, string text)
        => new(statusCode, "text/plain; charset=utf-8", System.Text.Encoding.UTF8.GetBytes(text));
}
