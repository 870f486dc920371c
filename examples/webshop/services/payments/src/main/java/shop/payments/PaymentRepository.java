package shop.payments;

import java.io.InputStream;
import java.io.ObjectInputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;

/** Payment records: where the payments service talks to its database. */
public class PaymentRepository {
    private final Connection connection;

    public PaymentRepository(Connection connection) {
        this.connection = connection;
    }

    public ResultSet byCustomer(String customer) throws Exception {
        Statement statement = connection.createStatement();
        // Problem: SQL concatenated from a parameter.
        return statement.executeQuery("SELECT * FROM payments WHERE customer = '" + customer + "'");
    }

    public ResultSet byId(long id) throws Exception {
        // Safe: a prepared statement with a placeholder.
        PreparedStatement statement = connection.prepareStatement("SELECT * FROM payments WHERE id = ?");
        statement.setLong(1, id);
        return statement.executeQuery();
    }

    public Object restore(InputStream stream) throws Exception {
        // Problem: Java deserialisation of untrusted bytes.
        ObjectInputStream in = new ObjectInputStream(stream);
        return in.readObject();
    }

    public byte[] cardFingerprint(String pan) throws Exception {
        // Problem: MD5 for card data.
        MessageDigest digest = MessageDigest.getInstance("MD5");
        return digest.digest(pan.getBytes());
    }

    public byte[] receiptHash(String body) throws Exception {
        // Safe: SHA-256.
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        return digest.digest(body.getBytes());
    }

    public void close() {
        try {
            connection.close();
        } catch (Exception e) {
            // Problem: the failure is silently ignored.
        }
    }
}
