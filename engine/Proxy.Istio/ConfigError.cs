namespace Proxy.Istio;

/// <summary>
/// One configuration problem, located the way DESIGN.md prescribes:
/// <c>file[i] Kind namespace/name: field.path: message</c>, where <c>i</c> counts YAML documents from 0 within the file.
/// </summary>
/// <param name="File">The file as the user named it (directory entries are joined to the directory path as given).</param>
/// <param name="DocumentIndex">Document index within the file, from 0; negative when the problem concerns the whole file.</param>
/// <param name="ObjectRef">The object, <c>Kind namespace/name</c>, when known.</param>
/// <param name="FieldPath">The field path within the object, e.g. <c>spec.http[0].route[1].destination.subset</c>; empty when none applies.</param>
/// <param name="Message">What is wrong.</param>
public sealed record ConfigError(string File, int DocumentIndex, string? ObjectRef, string FieldPath, string Message)
{
    /// <summary>The DESIGN.md error line, e.g.
    /// <c>routes.yaml[2] VirtualService default/reviews: spec.http[0].route[1].destination.subset: subset "v3" is not defined by any DestinationRule for reviews.default.svc.cluster.local</c>.</summary>
    public override string ToString()
    {
        var location = DocumentIndex >= 0 ? $"{File}[{DocumentIndex}]" : File;
        if (ObjectRef is not null)
        {
            location += " " + ObjectRef;
        }

        return FieldPath.Length > 0
            ? $"{location}: {FieldPath}: {Message}"
            : $"{location}: {Message}";
    }
}
