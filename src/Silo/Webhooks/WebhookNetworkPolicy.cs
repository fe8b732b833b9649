namespace OrleansShare.Silo.Webhooks;

/// <summary>Whether destinations on loopback, link-local and private addresses are allowed in this deployment (<see cref="WebhookOptions.AllowPrivateNetworks"/>).</summary>
public sealed record WebhookNetworkPolicy(bool AllowPrivateNetworks);
