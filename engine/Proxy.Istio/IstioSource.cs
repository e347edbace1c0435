namespace Proxy.Istio;

/// <summary>The text of one Istio YAML file.</summary>
/// <param name="Path">The path as the user named it; used verbatim in error messages.</param>
/// <param name="Text">The file's content: one or more YAML documents separated by <c>---</c>.</param>
public sealed record IstioSource(string Path, string Text);
