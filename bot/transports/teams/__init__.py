"""Microsoft Teams through Microsoft Graph (msgraph-sdk). Imported only when configured."""
