namespace Proxy.Istio.Loading;

/// <summary>Where an object came from: file, document index within the file, and <c>Kind namespace/name</c> once known.
/// <see cref="BaseDirectory"/> is where relative file paths in the object resolve (null: the current directory).</summary>
internal sealed record SourceLocation(string File, int DocumentIndex, string? ObjectRef, string? BaseDirectory = null);
