package alac.opensearch;

import java.util.Map;

import com.ibm.icu.text.FilteredNormalizer2;
import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.text.UnicodeSet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.icu.ICUFoldingFilter;
import org.apache.lucene.analysis.icu.ICUNormalizer2Filter;
import org.apache.lucene.analysis.icu.segmentation.DefaultICUTokenizerConfig;
import org.apache.lucene.analysis.icu.segmentation.ICUTokenizer;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.analysis.AbstractTokenFilterFactory;
import org.opensearch.index.analysis.AbstractTokenizerFactory;
import org.opensearch.index.analysis.NormalizingTokenFilterFactory;
import org.opensearch.index.analysis.TokenFilterFactory;
import org.opensearch.index.analysis.TokenizerFactory;
import org.opensearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.opensearch.plugins.AnalysisPlugin;
import org.opensearch.plugins.Plugin;

/**
 * The ICU analysis components the index template uses, under the names and defaults of
 * OpenSearch's analysis-icu plugin: {@code icu_tokenizer}, {@code icu_folding} and
 * {@code icu_normalizer}.
 *
 * <p>Why not the plugin itself: OpenSearch publishes analysis-icu only as a zip on its own
 * download site, which this project's machines cannot reach; Maven Central has neither the
 * zip nor a jar of it. The work is done by Lucene's ICU module (org.apache.lucene:
 * lucene-analysis-icu, on Maven Central, the library the plugin wraps too); this class only
 * registers it. A cluster with the real plugin reads the same template identically.
 */
public final class IcuAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("icu_tokenizer", IcuTokenizerFactory::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("icu_folding", IcuFoldingFactory::new, "icu_normalizer", IcuNormalizerFactory::new);
    }

    /** Word boundaries by Unicode rules (UAX #29) plus dictionaries for scripts without spaces. */
    static final class IcuTokenizerFactory extends AbstractTokenizerFactory {
        IcuTokenizerFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, settings, name);
        }

        @Override
        public Tokenizer create() {
            // The plugin's defaults: CJK and Myanmar segmented into words by dictionary.
            return new ICUTokenizer(new DefaultICUTokenizerConfig(true, true));
        }
    }

    /** Case folding, accent removal and compatibility forms (NFKC_Casefold + diacritics). */
    static final class IcuFoldingFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final String unicodeSetFilter;

        IcuFoldingFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, name, settings);
            this.unicodeSetFilter = settings.get("unicode_set_filter");
        }

        @Override
        public TokenStream create(TokenStream stream) {
            if (unicodeSetFilter == null) {
                return new ICUFoldingFilter(stream);
            }
            UnicodeSet set = new UnicodeSet(unicodeSetFilter).freeze();
            return new ICUNormalizer2Filter(stream, new FilteredNormalizer2(ICUFoldingFilter.NORMALIZER, set));
        }
    }

    /** Unicode normalization, NFKC with case folding unless {@code name} says otherwise. */
    static final class IcuNormalizerFactory extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final Normalizer2 normalizer;

        IcuNormalizerFactory(IndexSettings index, Environment env, String name, Settings settings) {
            super(index, name, settings);
            String form = settings.get("name", "nfkc_cf");
            String mode = settings.get("mode", "compose");
            this.normalizer = Normalizer2.getInstance(
                null, form, "compose".equals(mode) ? Normalizer2.Mode.COMPOSE : Normalizer2.Mode.DECOMPOSE
            );
        }

        @Override
        public TokenStream create(TokenStream stream) {
            return new ICUNormalizer2Filter(stream, normalizer);
        }
    }
}
