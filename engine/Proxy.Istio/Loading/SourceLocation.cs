namespace Proxy.Istio.Loading;

/// <summary>Where an object came from: file, document index within the file, and <c>Kind namespace/name</c> once known.</summary>
internal sealed record SourceLocation(string File, int DocumentIndex, string? ObjectRef);
