using MudBlazor;

namespace ClinicPortal.Components.Layout;

/// <summary>The portal's light and dark palettes (MudBlazor), one place for colours.</summary>
public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#1e6f8f", Secondary = "#8e5b9a", AppbarBackground = "#1e6f8f" },
        PaletteDark = new PaletteDark { Primary = "#6cb8d6", Secondary = "#c79ad3" },
    };
}
