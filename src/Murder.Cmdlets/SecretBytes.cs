using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace Murder.Cmdlets;

/// <summary>Turns a SecureString (a swarm secret) into the UTF-8 bytes the core hashes with.</summary>
internal static class SecretBytes
{
    public static byte[] From(SecureString secret)
    {
        IntPtr text = Marshal.SecureStringToGlobalAllocUnicode(secret);
        try
        {
            return Encoding.UTF8.GetBytes(Marshal.PtrToStringUni(text, secret.Length));
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(text);
        }
    }

    public static string ToPlainText(SecureString secret) => Encoding.UTF8.GetString(From(secret));
}
