using Microsoft.ML;

namespace ImageWorkbench.Runtime;

/// <summary>Makes this assembly's custom-mapping factories known to an <see cref="MLContext"/>, so saved models that use them load.</summary>
public static class ModelComponents
{
    public static void Register(MLContext ml)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ml.ComponentCatalog.RegisterAssembly(typeof(ModelComponents).Assembly);
    }
}
