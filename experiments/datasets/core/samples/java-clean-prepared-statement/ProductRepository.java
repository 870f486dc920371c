package shop.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

public class ProductRepository {
    private static final Map<String, String> SORT_COLUMNS =
            Map.of("name", "name", "price", "price_cents", "newest", "created_at");

    private final DataSource dataSource;

    public ProductRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public List<String> search(String term, String sort) throws SQLException {
        String column = SORT_COLUMNS.getOrDefault(sort, "name");
        String sql = "SELECT name FROM products WHERE name LIKE ? ORDER BY " + column;
        List<String> names = new ArrayList<>();
        try (Connection conn = dataSource.getConnection();
             PreparedStatement stmt = conn.prepareStatement(sql)) {
            stmt.setString(1, "%" + term + "%");
            try (ResultSet rs = stmt.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }
}
