package org.diffusion4j.hostile;

import org.diffusion4j.diffusers.UNet2DConfigJson;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.data.DatasetException;
import org.diffusion4j.data.IdxDataset;
import org.diffusion4j.data.IdxFile;
import org.diffusion4j.data.ImageFolderDataset;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.io.SafeTensorsException;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.UNet2DConfig;

/** The readers a stranger's file can reach, and the exception types each may declare. */
enum Parser {
    /** {@link SafeTensors#read(Path)}: refuses with {@link SafeTensorsException}. */
    SAFETENSORS(List.of(SafeTensorsException.class, IOException.class)) {
        @Override
        Object parse(Path p) throws IOException {
            SafeTensors st = SafeTensors.read(p);
            for (String name : st.names()) { // touch every tensor's last byte: views must stay in bounds
                java.nio.ByteBuffer b = st.bytes(name);
                if (b.remaining() > 0) {
                    b.get(b.remaining() - 1);
                }
            }
            return st;
        }
    },
    /** {@link IdxFile#read(Path)}: refuses with {@link DatasetException}. */
    IDX(List.of(DatasetException.class, IOException.class)) {
        @Override
        Object parse(Path p) throws IOException {
            return IdxFile.read(p);
        }
    },
    /** {@link IdxDataset#openUnlabeled(Path)}: an IDX images file must be rank 3. */
    IDX_IMAGES(List.of(DatasetException.class, IOException.class)) {
        @Override
        Object parse(Path p) throws IOException {
            return IdxDataset.openUnlabeled(p);
        }
    },
    /** {@link ImageFolderDataset#open(Path, int)} with 3 channels, on a folder. */
    IMAGE_FOLDER(List.of(DatasetException.class, IOException.class)) {
        @Override
        Object parse(Path p) throws IOException {
            return ImageFolderDataset.open(p, 3);
        }
    },
    /** {@link UNet2DConfig#load(Path)}: refuses with {@link ModelFileException}. */
    UNET_CONFIG(List.of(ModelFileException.class, IOException.class)) {
        @Override
        Object parse(Path p) throws IOException {
            return UNet2DConfigJson.read(p);
        }
    };

    private final List<Class<? extends Throwable>> declared;

    Parser(List<Class<? extends Throwable>> declared) {
        this.declared = declared;
    }

    /** Parses the file (or folder); returns what was read. */
    abstract Object parse(Path p) throws IOException;

    /** Whether {@code t} is one of the exception types this parser declares (checked, expected refusals). */
    boolean declares(Throwable t) {
        return declared.stream().anyMatch(c -> c.isInstance(t));
    }
}
