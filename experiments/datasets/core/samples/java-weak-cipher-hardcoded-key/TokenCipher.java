package shop.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

public final class TokenCipher {
    private static final byte[] KEY = "Sh0pK3y!".getBytes(StandardCharsets.US_ASCII);

    private TokenCipher() {
    }

    public static String encrypt(String customerId) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("DES/ECB/PKCS5Padding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "DES"));
        byte[] sealed = cipher.doFinal(customerId.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().encodeToString(sealed);
    }

    public static String decrypt(String token) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("DES/ECB/PKCS5Padding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY, "DES"));
        byte[] opened = cipher.doFinal(Base64.getUrlDecoder().decode(token));
        return new String(opened, StandardCharsets.UTF_8);
    }
}
