namespace OrleansShare.Grains.Common;

/// <summary>
/// Marks a grain method whose repetition has the effect of a single call: a read, or a step designed to be
/// completed by whoever calls it next. A caller may repeat it when a silo failed before its answer arrived.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RetrySafeAttribute : Attribute;
