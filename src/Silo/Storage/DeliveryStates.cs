namespace OrleansShare.Silo.Storage;

/// <summary>The <c>state</c> of a <c>webhook_delivery</c> row, as the delivery log shows it.</summary>
public static class DeliveryStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}
