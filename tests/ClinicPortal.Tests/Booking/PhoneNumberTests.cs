using ClinicPortal.Features.Booking;

namespace ClinicPortal.Tests.Booking;

public sealed class PhoneNumberTests
{
    [Theory]
    [InlineData("07700 900123", "+447700900123")]
    [InlineData("07700-900-123", "+447700900123")]
    [InlineData("+44 7700 900123", "+447700900123")]
    [InlineData("+44 (0)20 7946 0000", "+442079460000")]
    [InlineData("0044 20 7946 0000", "+442079460000")]
    [InlineData("+1 (415) 555-0100", "+14155550100")]
    public void Spoken_and_typed_numbers_become_E164(string raw, string expected) =>
        Assert.Equal(expected, PhoneNumber.Normalize(raw, "+442079460001"));

    [Theory]
    [InlineData("12345")]
    [InlineData("call me maybe")]
    [InlineData("+0 123 456 789")]
    [InlineData("+44 7700 900123 4567 89")]
    public void Non_numbers_are_refused(string raw) => Assert.Null(PhoneNumber.Normalize(raw, "+442079460001"));

    [Fact]
    public void A_national_number_needs_the_clinics_country() => Assert.Null(PhoneNumber.Normalize("07700 900123", null));
}
