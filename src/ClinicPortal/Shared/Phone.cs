using PhoneNumbers;

namespace ClinicPortal.Shared;

/// <summary>A phone number as a caller or staff gave it, read in the clinic's country (libphonenumber).</summary>
public abstract record PhoneCheck
{
    /// <summary>A number we accept, as E.164; whether a text message can reach it; whether it is in the clinic's country.</summary>
    public sealed record Valid(string E164, bool Textable, bool Domestic = true) : PhoneCheck
    {
        /// <summary>Texts go to mobiles in the clinic's own country, unless the clinic allows any country (clinics.sms_any_country).</summary>
        public bool TextableFor(bool anyCountry) => Textable && (Domestic || anyCountry);
    }

    /// <summary>Not a number we accept, and why, in words the voice agent or the staff form can say.</summary>
    public sealed record Invalid(string Reason) : PhoneCheck;
}

/// <summary>
/// Parses spoken and typed numbers: national numbers ("07700 100123") are read in the clinic's country (ISO
/// 3166 code), international ones ("+44 …", "0044 …") as they say. Premium-rate and shared-cost numbers are
/// refused: nobody should be booked, or texted, on a number that charges them or us extra.
/// </summary>
public static class Phone
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    public const string NotANumber = "the phone number is not a valid number; ask for it again with the area code";

    public static PhoneCheck Check(string? raw, string country)
    {
        if (string.IsNullOrWhiteSpace(raw)) return new PhoneCheck.Invalid(NotANumber);
        PhoneNumber number;
        try { number = Util.Parse(raw, country); }
        catch (NumberParseException) { return new PhoneCheck.Invalid(NotANumber); }
        if (!Util.IsValidNumber(number)) return new PhoneCheck.Invalid(NotANumber);
        return Util.GetNumberType(number) switch
        {
            PhoneNumberType.PREMIUM_RATE => new PhoneCheck.Invalid("premium-rate numbers are not accepted; ask for a mobile or landline number"),
            PhoneNumberType.SHARED_COST => new PhoneCheck.Invalid("shared-cost numbers are not accepted; ask for a mobile or landline number"),
            var type => new PhoneCheck.Valid(Util.Format(number, PhoneNumberFormat.E164),
                Textable: type is PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE,
                Domestic: Util.GetRegionCodeForNumber(number) == country.ToUpperInvariant()),
        };
    }

    /// <summary>The number as E.164 when it is one we accept, else null.</summary>
    public static string? Normalize(string? raw, string country) => Check(raw, country) is PhoneCheck.Valid v ? v.E164 : null;

    /// <summary>
    /// The E.164 number when the clinic may text it (a mobile, or a number that may be one, in the clinic's country unless
    /// anyCountry), else null.
    /// </summary>
    public static string? Textable(string? raw, string country, bool anyCountry = false) =>
        Check(raw, country) is PhoneCheck.Valid v && v.TextableFor(anyCountry) ? v.E164 : null;
}
