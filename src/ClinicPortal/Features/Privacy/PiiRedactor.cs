using System.Text.RegularExpressions;

namespace ClinicPortal.Features.Privacy;

/// <summary>
/// Replaces personal data in free text with typed tokens such as [REDACTED_EMAIL]. Recognizers run in
/// a fixed order (the more specific first), and numbers that merely look like a card or NHS number must
/// also pass its checksum, so times, prices, appointment dates and confirmation codes survive. A date
/// counts as a date of birth only after words that say so ("DOB", "born", "date of birth").
/// </summary>
public static partial class PiiRedactor
{
    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        text = Email().Replace(text, "[REDACTED_EMAIL]");
        text = CardCandidate().Replace(text, m => Luhn(Digits(m.Value)) ? "[REDACTED_CARD]" : m.Value);
        text = NhsCandidate().Replace(text, m => NhsValid(Digits(m.Value)) ? "[REDACTED_NHS_NUMBER]" : m.Value);
        text = Ssn().Replace(text, "[REDACTED_SSN]");
        text = NationalInsurance().Replace(text, m => BadNinoPrefix(m.Value) ? m.Value : "[REDACTED_NI_NUMBER]");
        text = DateOfBirth().Replace(text, m => m.Groups["label"].Value + "[REDACTED_DOB]");
        text = Phone().Replace(text, m => Digits(m.Value).Length is >= 10 and <= 15 ? "[REDACTED_PHONE]" : m.Value);
        text = Postcode().Replace(text, "[REDACTED_POSTCODE]");
        return text;
    }

    private static string Digits(string s) => new(s.Where(char.IsAsciiDigit).ToArray());

    public static bool Luhn(string digits)
    {
        if (digits.Length is < 13 or > 19) return false;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1 && (d *= 2) > 9) d -= 9;
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>NHS numbers: ten digits whose mod-11 check digit (weights 10..2) matches.</summary>
    public static bool NhsValid(string digits)
    {
        if (digits.Length != 10) return false;
        var sum = 0;
        for (var i = 0; i < 9; i++) sum += (digits[i] - '0') * (10 - i);
        var check = 11 - sum % 11;
        if (check == 11) check = 0;
        return check != 10 && check == digits[9] - '0';
    }

    // Prefixes HMRC never issues.
    private static bool BadNinoPrefix(string nino) => nino.Trim().ToUpperInvariant()[..2] is "BG" or "GB" or "NK" or "KN" or "TN" or "NT" or "ZZ";

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![\d£$€.,])\d(?:[ \-]?\d){12,18}(?![\d%])")]
    private static partial Regex CardCandidate();

    [GeneratedRegex(@"(?<![\d£$€.,+])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?!\d)")]
    private static partial Regex NhsCandidate();

    [GeneratedRegex(@"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")]
    private static partial Regex Ssn();

    [GeneratedRegex(@"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", RegexOptions.IgnoreCase)]
    private static partial Regex NationalInsurance();

    [GeneratedRegex(@"(?<label>\b(?:d\.?o\.?b\.?|date of birth|birth ?date|born(?: on)?)\b\s*(?:is|was|:|-)?\s*)" +
                    @"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?(?: of)? [A-Za-z]{3,9},? \d{4}|[A-Za-z]{3,9} \d{1,2}(?:st|nd|rd|th)?,? \d{4})",
        RegexOptions.IgnoreCase)]
    private static partial Regex DateOfBirth();

    // UK national (0…), +44 / 0044 with an optional (0), and other international numbers starting with +.
    [GeneratedRegex(@"(?<![\w+])(?:\+44\s?\(0\)\s?|\+44\s?|0044\s?|\+[1-9]\d{0,2}[\s\-]?|0)\d(?:[\s\-]?\d){7,12}(?!\d)")]
    private static partial Regex Phone();

    [GeneratedRegex(@"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]) ?\d[ABD-HJLNP-UW-Z]{2})\b", RegexOptions.IgnoreCase)]
    private static partial Regex Postcode();
}
